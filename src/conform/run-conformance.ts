/**
 * Runs the conformance suite against one target: the checks one after another (they share the
 * target's agents and coordinator, so order keeps them independent), each bounded by the
 * context's waits. A check that throws something other than a verdict fails with the error.
 */
import type { CredentialAgent, Credentials } from '../protocol/credentials.js';
import { CheckStop, skip, type CheckOutcome, type ConformContext, type ConformGroup } from './check.js';
import { createHttpProbe } from './http-probe.js';
import { AGENTS_PATH } from './sockets.js';

export interface ConformOptions {
  url: string;
  credentials: Credentials;
  embedded: boolean;
  groups: readonly ConformGroup[];
  safe: boolean;
  heartbeatMs: number;
  inactiveMs: number;
  /** Bound of one wait (message, close, answer). Default 3 s. */
  waitMs?: number;
  /** Called as each check finishes (live output). */
  onResult?: (result: CheckResult) => void;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  group: string;
  title: string;
  cite: string;
  durationMs: number;
}

export interface ConformResult {
  target: string;
  embedded: boolean;
  safe: boolean;
  results: CheckResult[];
  counts: { pass: number; fail: number; skip: number };
  durationMs: number;
}

export async function runConformance(options: ConformOptions): Promise<ConformResult> {
  const url = options.url.replace(/\/+$/, '');
  const waitMs = options.waitMs ?? 3_000;
  const http = createHttpProbe(url, waitMs * 2);
  const agents = options.credentials.agents;
  const assigned = new Map<string, CredentialAgent>();
  const used = new Set<CredentialAgent>();
  let next = 0;
  const take = (key: string, pool: readonly CredentialAgent[]): CredentialAgent | undefined => {
    const known = assigned.get(key);
    if (known && pool.includes(known)) return known;
    const agent = pool.find((a) => !used.has(a)) ?? pool[next++ % Math.max(1, pool.length)];
    if (!agent) return undefined;
    used.add(agent);
    assigned.set(key, agent);
    return agent;
  };
  const ctx: ConformContext = {
    url,
    credentials: options.credentials,
    embedded: options.embedded,
    safe: options.safe,
    timing: { heartbeatMs: options.heartbeatMs, inactiveMs: options.inactiveMs },
    waitMs,
    http,
    agent(key) {
      const agent = take(key, agents);
      if (!agent) throw new CheckStop(skip('the credentials list no agents'));
      return agent;
    },
    agentWhere: (key, want) => take(key, agents.filter(want)),
    async freshAgent(key) {
      const known = assigned.get(key);
      if (known) return known;
      for (const agent of agents.filter((a) => !used.has(a))) {
        const res = await http.send({ path: `${AGENTS_PATH}/${agent.id}`, tokens: [{ token: options.credentials.userToken, place: 'header' }] });
        if (res.status === 200 && !res.text.includes('"first_connected_at"')) {
          used.add(agent);
          assigned.set(key, agent);
          return agent;
        }
      }
      return undefined;
    },
  };

  const started = Date.now();
  const results: CheckResult[] = [];
  try {
    for (const group of options.groups) {
      for (const check of group.checks) {
        const t0 = Date.now();
        let outcome: CheckOutcome;
        if (options.safe && check.mutates) outcome = skip('changes agent state a user can see (--safe)');
        else {
          try {
            outcome = await check.run(ctx);
          } catch (error) {
            outcome =
              error instanceof CheckStop
                ? error.outcome
                : { verdict: 'fail', expected: 'the check to complete', observed: `error: ${(error as Error)?.message ?? String(error)}` };
          }
        }
        const result: CheckResult = { id: check.id, group: group.name, title: check.title, cite: check.cite, ...outcome, durationMs: Date.now() - t0 };
        results.push(result);
        options.onResult?.(result);
      }
    }
  } finally {
    await http.close();
  }
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.verdict]++;
  return { target: url, embedded: options.embedded, safe: options.safe, results, counts, durationMs: Date.now() - started };
}
