/**
 * The `capacity` section of a `fleetsim capacity` report in every format: the knee, the steps
 * with their figures and broken SLOs, and (HTML) a chart of each SLO against the agent count.
 * Reports without the section are unchanged: every function returns nothing for them.
 */
import type { CapacityStep, CapacitySummary } from '../capacity/types.js';
import type { RunSummary } from '../metrics/summary-types.js';
import { escapeXml as esc, escapeMd, fmtMs, fmtNum, fmtObserved, fmtPct } from './format.js';
import { capacityChart } from './capacity-chart.js';

const VERDICT_TEXT: Record<CapacityStep['verdict'], string> = {
  pass: 'pass',
  fail: 'FAIL',
  invalid: 'INVALID (harness saturated)',
  interrupted: 'interrupted',
  errored: 'errored',
};

/** The search parameters in one line. */
export function searchLine(c: CapacitySummary): string {
  const s = c.search;
  const cost = c.costModel
    ? ` · cost model ${c.costModel.workers} worker(s) × ${fmtMs(c.costModel.serviceTimeMs)} = ${fmtNum(c.costModel.saturationRequestsPerSecond)} req/s${c.costModel.endpoints ? ` (${c.costModel.endpoints.join(', ')})` : ''}`
    : '';
  return (
    `from ${s.from} to ${s.to} × ${s.factor} · resolution ${s.resolution} · each step: ramp ${fmtMs(s.rampMs)}, settle ${fmtMs(s.settleMs)}, ` +
    `hold ${fmtMs(s.holdMs)} (SLOs judged on the hold) · target ${s.target}${cost}`
  );
}

/** Header and rows of the step table (plain text cells). */
export function stepRows(c: CapacitySummary): { header: string[]; rows: string[][] } {
  const header = ['#', 'kind', 'agents', 'verdict', ...c.slos, 'req/s', 'errors', 'connected', 'harness'];
  const rows = c.steps.map((s) => [
    String(s.index),
    s.kind,
    fmtNum(s.agents),
    VERDICT_TEXT[s.verdict],
    ...c.slos.map((expression) => {
      const r = s.slos.find((x) => x.expression === expression);
      return r ? `${r.pass ? '✓' : '✗'} ${fmtObserved(r)}` : '-';
    }),
    fmtNum(s.requestsPerSecond),
    fmtPct(s.errorRate),
    `${fmtNum(s.connected)}/${fmtNum(s.agents)}`,
    s.harness.verdict === 'saturated' ? `saturated ${s.harness.saturatedSeconds}/${s.harness.seconds}s` : 'ok',
  ]);
  return { header, rows };
}

function detailNote(c: CapacitySummary): string | undefined {
  const step = c.steps.find((s) => s.index === c.detailStep);
  return step
    ? `The figures below are the hold window of step ${step.index} (${step.agents} agents); every step's full report is under ${step.report.replace(/[^/]+$/, '')}.`
    : undefined;
}

/** Console lines (before the usual tables). */
export function capacityConsole(summary: RunSummary, alignTable: (rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]) => string[]): string[] {
  const c = summary.capacity;
  if (!c) return [];
  const { header, rows } = stepRows(c);
  const lines = [`capacity: ${c.message}`, `  ${searchLine(c)}`, ''];
  lines.push(
    ...alignTable(
      [header, ...rows],
      header.map((_, i) => (i === 1 || i === 3 ? 'l' : 'r')),
    ),
  );
  const note = detailNote(c);
  if (note) lines.push('', note);
  lines.push('');
  return lines;
}

/** Markdown section. */
export function capacityMarkdown(summary: RunSummary): string[] {
  const c = summary.capacity;
  if (!c) return [];
  const { header, rows } = stepRows(c);
  const out = ['## Capacity', '', `**${escapeMd(c.message)}**`, '', escapeMd(searchLine(c)), ''];
  out.push(`| ${header.map(escapeMd).join(' | ')} |`, `| ${header.map((_, i) => (i === 1 || i === 3 ? ':---' : '---:')).join(' | ')} |`);
  for (const r of rows) out.push(`| ${r.map(escapeMd).join(' | ')} |`);
  out.push('');
  const note = detailNote(c);
  if (note) out.push(`_${escapeMd(note)}_`, '');
  return out;
}

/** HTML section: the knee, a chart per SLO and the step table. */
export function capacityHtml(summary: RunSummary): string[] {
  const c = summary.capacity;
  if (!c) return [];
  const { header, rows } = stepRows(c);
  const out = ['<h2>Capacity</h2>', `<p><strong>${esc(c.message)}</strong></p>`, `<p class="meta">${esc(searchLine(c))}</p>`];
  for (const expression of c.slos) out.push(capacityChart(c, expression));
  out.push(
    `<table class="capacity"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((r, i) => `<tr class="step-${esc(c.steps[i]!.verdict)}">${r.map((cell) => `<td>${esc(cell)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`,
  );
  const note = detailNote(c);
  if (note) out.push(`<p class="meta">${esc(note)}</p>`);
  return out;
}

/**
 * JUnit: one `capacity` testcase (fails when even --from broke an SLO, errors when the search
 * stopped on a saturated harness, a signal or a failed step), the knee and every step as
 * properties, the step table in `<system-out>`. Steps that broke an SLO are not failures: finding
 * where SLOs break is the point of the search.
 */
export function capacityJunit(summary: RunSummary): { cases: string[]; failures: number; errors: number; properties: [string, string][]; out: string[] } {
  const c = summary.capacity;
  if (!c) return { cases: [], failures: 0, errors: 0, properties: [], out: [] };
  const head = `    <testcase classname="${esc(`fleetsim.${summary.meta.scenario}.capacity`)}" name="${esc(`capacity search (${c.result})`)}" time="0"`;
  let cases: string[];
  let failures = 0;
  let errors = 0;
  if (c.result === 'knee' || c.result === 'to-passed') cases = [`${head}/>`];
  else if (c.result === 'from-failed') {
    failures = 1;
    cases = [`${head}>\n      <failure type="slo" message="${esc(c.message)}">${esc(c.message)}</failure>\n    </testcase>`];
  } else {
    errors = 1;
    cases = [`${head}>\n      <error type="${esc(c.result)}" message="${esc(c.message)}"/>\n    </testcase>`];
  }
  const properties: [string, string][] = [
    ['capacity.result', c.result],
    ['capacity.knee', c.knee === null ? 'none' : String(c.knee)],
    ['capacity.firstFailing', c.firstFailing === null ? 'none' : String(c.firstFailing)],
    ...c.steps.map((s): [string, string] => [
      `capacity.step.${s.index}`,
      `${s.kind} ${s.agents} agents: ${s.verdict}${s.broken.length ? ` (broke ${s.broken.join(', ')})` : ''}`,
    ]),
  ];
  const { header, rows } = stepRows(c);
  return { cases, failures, errors, properties, out: [c.message, header.join(' | '), ...rows.map((r) => r.join(' | '))] };
}
