/**
 * Data-driven HTTP checks: one table entry = one request and the exact answer the contract
 * gives (status and, when the contract fixes it, the body bytes). Adding a check is one entry.
 */
import { encodeGoJson } from '../protocol/go-json.js';
import { CheckStop, compare, skip, type CheckOutcome, type ConformCheck, type ConformContext } from './check.js';
import { describeResponse, showText, type ProbeRequest, type ProbeResponse } from './http-probe.js';

/** What the answer must be. `body` is the exact text; `bodyMatch` a pattern for texts with variable parts. */
export interface HttpExpectation {
  status: number;
  body?: string;
  bodyMatch?: RegExp;
  /** Extra test on an answer whose status (and body) matched: what was wrong, or undefined. */
  also?: (res: ProbeResponse) => { expected: string; observed: string } | undefined;
}

export interface HttpCase {
  name: string;
  title: string;
  cite: string;
  mutates?: boolean;
  /** The request and its expected answer, or a skip reason (a string). */
  build(
    ctx: ConformContext,
  ): Promise<{ request: ProbeRequest; expect: HttpExpectation } | string> | { request: ProbeRequest; expect: HttpExpectation } | string;
}

/** A codersdk.Response body exactly as Go's json.Encoder writes it (protocol §1.1, §1.2). */
export function sdkBody(message: string, detail?: string, validations?: { field: string; detail: string }[]): string {
  return encodeGoJson({ message, detail: detail || undefined, validations: validations?.length ? validations : undefined });
}

export function describeExpectation(e: HttpExpectation): string {
  if (e.body !== undefined) return `${e.status} ${showText(e.body)}`.trimEnd();
  if (e.bodyMatch) return `${e.status} body matching ${e.bodyMatch.source}`;
  return `${e.status}`;
}

/** Judges one answer against an expectation. */
export function judge(expect: HttpExpectation, res: ProbeResponse): CheckOutcome {
  const expected = describeExpectation(expect);
  const observed = describeResponse(res);
  if (res.status !== expect.status) return compare(expected, observed);
  if (expect.body !== undefined && res.text !== expect.body) return compare(expected, observed);
  if (expect.bodyMatch && !expect.bodyMatch.test(res.text)) return { verdict: 'fail', expected, observed };
  const problem = expect.also?.(res);
  if (problem) return { verdict: 'fail', expected: `${expected}; ${problem.expected}`, observed: `${observed}; ${problem.observed}` };
  return { verdict: 'pass', expected, observed };
}

export function httpCheck(group: string, c: HttpCase): ConformCheck {
  return {
    id: `${group}.${c.name}`,
    title: c.title,
    cite: c.cite,
    mutates: c.mutates,
    run: async (ctx) => {
      const built = await c.build(ctx);
      if (typeof built === 'string') return skip(built);
      const res = await ctx.http.send(built.request);
      return judge(built.expect, res);
    },
  };
}

/** Parses a JSON body or ends the check with FAIL. */
export function jsonOf(res: ProbeResponse, what: string): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    throw new CheckStop({ verdict: 'fail', expected: `${what}: a JSON body`, observed: describeResponse(res) });
  }
}

/** Top-level keys of a JSON object text in wire order. */
export function keyOrder(value: unknown): string[] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}
