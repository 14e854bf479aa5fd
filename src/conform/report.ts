/**
 * How a conformance run is shown: one line per check (PASS/FAIL/SKIP, with expected and observed
 * for failures), a JSON document, or JUnit XML (one testsuite per group). Every text goes
 * through `redact` first, so a token echoed by the target never reaches a report.
 */
import { escapeXml } from '../reporters/format.js';
import type { CheckResult, ConformResult } from './run-conformance.js';

export const CONFORM_JSON_SCHEMA = 1;

/** Replaces every secret (tokens, keys) in `text` with `<redacted>`. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const list = secrets.filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join('<redacted>');
    return out;
  };
}

export function redactResult(result: CheckResult, redact: (text: string) => string): CheckResult {
  return { ...result, expected: redact(result.expected), observed: redact(result.observed) };
}

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** `PASS auth.agent-missing  401 {"message":…}` or a FAIL with expected/observed lines. */
export function resultLines(r: CheckResult): string[] {
  const head = `${LABEL[r.verdict]} ${r.id}`;
  if (r.verdict === 'pass') return [`${head}  ${r.observed}`];
  if (r.verdict === 'skip') return [`${head}  (${r.observed})`];
  return [`${head}  ${r.title} [${r.cite}]`, `       expected: ${r.expected}`, `       observed: ${r.observed}`];
}

export function summaryLine(result: ConformResult): string {
  const { pass, fail, skip } = result.counts;
  return `conform: ${pass} passed, ${fail} failed, ${skip} skipped of ${result.results.length} checks against ${result.embedded ? 'the embedded server' : result.target} in ${(result.durationMs / 1000).toFixed(1)} s${result.safe ? ' (--safe)' : ''}`;
}

export function renderConformJson(result: ConformResult): string {
  return `${JSON.stringify({ schemaVersion: CONFORM_JSON_SCHEMA, ...result }, null, 2)}\n`;
}

const attr = (name: string, value: string | number): string => `${name}="${escapeXml(String(value))}"`;

export function renderConformJunit(result: ConformResult): string {
  const groups = new Map<string, CheckResult[]>();
  for (const r of result.results) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const secs = (ms: number): string => (ms / 1000).toFixed(3);
  const suites = [...groups].map(([group, results]) => {
    const failures = results.filter((r) => r.verdict === 'fail').length;
    const skipped = results.filter((r) => r.verdict === 'skip').length;
    const time = results.reduce((t, r) => t + r.durationMs, 0);
    const cases = results.map((r) => {
      const head = `    <testcase ${attr('classname', `fleetsim.conform.${group}`)} ${attr('name', r.id)} ${attr('time', secs(r.durationMs))}`;
      if (r.verdict === 'pass') return `${head}/>`;
      if (r.verdict === 'skip') return `${head}>\n      <skipped ${attr('message', r.observed)}/>\n    </testcase>`;
      const text = `${r.title} [${r.cite}]\nexpected: ${r.expected}\nobserved: ${r.observed}`;
      return `${head}>\n      <failure ${attr('type', 'nonconformance')} ${attr('message', `expected ${r.expected}`)}>${escapeXml(text)}</failure>\n    </testcase>`;
    });
    return [
      `  <testsuite ${attr('name', `fleetsim.conform.${group}`)} ${attr('tests', results.length)} ${attr('failures', failures)} errors="0" ${attr('skipped', skipped)} ${attr('time', secs(time))}>`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'fleetsim conform')} ${attr('tests', result.results.length)} ${attr('failures', result.counts.fail)} errors="0" ${attr('time', secs(result.durationMs))}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
