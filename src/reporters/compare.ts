import { PHASES, type Phase } from '../metrics/phases.js';
import type { EndpointStats, RunSummary } from '../metrics/summary-types.js';
import { alignTable, escapeMd, fmtMs, fmtNum, fmtPct } from './format.js';

/**
 * Baseline comparison: the same figures from two RunSummaries side by side, with regressions
 * flagged. A figure regresses when it moved the bad way by more than `tolerancePct` percent AND
 * by more than an absolute floor (1 ms for latencies, 0.1 percentage point for error rates), so
 * microsecond jitter on a fast endpoint is not called a regression.
 *
 * Each endpoint's queued and service p99 (where the time went: inside fleetsim or at the target)
 * are rows of their own that attribute a change and never count as regressions: the headline
 * already counts it once, and a queued-only change is the harness's, not the target's.
 *
 * Endpoints are compared over the whole run and then per phase (`p99 GET /x {phase:steady}`, as
 * thresholds spell it): a change in the ramp or the drain no longer hides in, or spoils, the
 * steady figures. A summary without phases (written before they existed) still compares: its
 * phase rows have no value and never count as regressions.
 */
export interface ComparisonRow {
  /** e.g. `p99 POST /me/report-stats`, `error_rate`, `p99 propagation`. */
  metric: string;
  unit: 'ms' | 'ratio' | 'number';
  baseline: number | null;
  current: number | null;
  /** current − baseline; null when either is missing. */
  delta: number | null;
  /** Relative change in percent; null when either is missing or the baseline is 0. */
  deltaPct: number | null;
  regression: boolean;
  /** Set on the per-phase rows. */
  phase?: Phase;
}

export interface Comparison {
  baseline: { runId: string; scenario: string };
  current: { runId: string; scenario: string };
  tolerancePct: number;
  rows: ComparisonRow[];
  regressions: number;
}

/** Which way is better; `none`: the row attributes a change and never counts as a regression. */
type Better = 'lower' | 'higher' | 'none';
const FLOOR = { ms: 1, ratio: 0.001, number: 0 } as const;

function row(
  metric: string,
  unit: ComparisonRow['unit'],
  better: Better,
  baseline: number | null | undefined,
  current: number | null | undefined,
  tolerancePct: number,
): ComparisonRow {
  const b = baseline ?? null;
  const c = current ?? null;
  const delta = b !== null && c !== null ? c - b : null;
  const deltaPct = delta !== null && b !== 0 && b !== null ? (delta / Math.abs(b)) * 100 : null;
  let regression = false;
  if (delta !== null && b !== null && better !== 'none') {
    const worse = better === 'lower' ? delta : -delta;
    const relative = b === 0 ? Number.POSITIVE_INFINITY : (worse / Math.abs(b)) * 100;
    regression = worse > FLOOR[unit] && relative > tolerancePct;
  }
  return { metric, unit, baseline: b, current: c, delta, deltaPct, regression };
}

/**
 * p50, p99 and error rate of every endpoint in either table, then its queued and service p99
 * when either side has them (`phase` suffixes the metric).
 */
function endpointRows(baseline: Record<string, EndpointStats>, current: Record<string, EndpointStats>, tol: number, phase?: Phase): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const suffix = phase === undefined ? '' : ` {phase:${phase}}`;
  const er = (e: EndpointStats | undefined) => (e ? (e.count > 0 ? Math.min(1, e.errors / e.count) : e.errors > 0 ? 1 : 0) : null);
  for (const name of [...new Set([...Object.keys(baseline), ...Object.keys(current)])].sort()) {
    const b = baseline[name];
    const c = current[name];
    rows.push(row(`p50 ${name}${suffix}`, 'ms', 'lower', b?.p50, c?.p50, tol));
    rows.push(row(`p99 ${name}${suffix}`, 'ms', 'lower', b?.p99, c?.p99, tol));
    rows.push(row(`error_rate ${name}${suffix}`, 'ratio', 'lower', er(b), er(c), tol));
    // The headline's split, where either run recorded it (agents' requests, RPCs and dials; not
    // autocannon's REST load, nor the phase tables): which half moved, fleetsim or the target.
    for (const half of ['queued', 'service'] as const) {
      if (b?.[half] === undefined && c?.[half] === undefined) continue;
      rows.push(row(`p99 ${half} ${name}${suffix}`, 'ms', 'none', b?.[half]?.p99, c?.[half]?.p99, tol));
    }
  }
  return rows;
}

/** Compares `current` against `baseline`; throws when their schema versions differ. */
export function compareSummaries(baseline: RunSummary, current: RunSummary, opts: { tolerancePct?: number } = {}): Comparison {
  if (baseline.schemaVersion !== current.schemaVersion) {
    throw new Error(`cannot compare summaries of schema versions ${String(baseline.schemaVersion)} and ${String(current.schemaVersion)}`);
  }
  const tol = opts.tolerancePct ?? 10;
  const rows: ComparisonRow[] = [];
  const rate = (s: RunSummary) => (s.meta.durationMs > 0 ? s.totals.requests / (s.meta.durationMs / 1000) : null);
  rows.push(row('error_rate', 'ratio', 'lower', baseline.totals.errorRate, current.totals.errorRate, tol));
  rows.push(row('req/s (all endpoints)', 'number', 'higher', rate(baseline), rate(current), tol));
  const ratio = (s: RunSummary) => (s.agents.planned > 0 ? s.agents.connected / s.agents.planned : null);
  rows.push(row('connected_ratio', 'ratio', 'higher', ratio(baseline), ratio(current), tol));
  rows.push(...endpointRows(baseline.endpoints, current.endpoints, tol));
  if (baseline.phases || current.phases) {
    for (const phase of PHASES) {
      const phaseRows = endpointRows(baseline.phases?.[phase].endpoints ?? {}, current.phases?.[phase].endpoints ?? {}, tol, phase);
      rows.push(...phaseRows.map((r) => ({ ...r, phase })));
    }
  }
  if (baseline.coordinator || current.coordinator) {
    const b = baseline.coordinator;
    const c = current.coordinator;
    rows.push(row('p50 propagation', 'ms', 'lower', b?.propagationMs.p50, c?.propagationMs.p50, tol));
    rows.push(row('p99 propagation', 'ms', 'lower', b?.propagationMs.p99, c?.propagationMs.p99, tol));
    rows.push(row('delivered_per_second', 'number', 'higher', b?.deliveredPerSecond, c?.deliveredPerSecond, tol));
    rows.push(row('lost', 'number', 'lower', b?.lost, c?.lost, tol));
  }
  if (baseline.pty || current.pty) {
    const b = baseline.pty;
    const c = current.pty;
    rows.push(row('p99 echo', 'ms', 'lower', b?.echoMs.p99, c?.echoMs.p99, tol));
    rows.push(row('replay_mismatches', 'number', 'lower', b?.replayMismatches, c?.replayMismatches, tol));
  }
  return {
    baseline: { runId: baseline.meta.runId, scenario: baseline.meta.scenario },
    current: { runId: current.meta.runId, scenario: current.meta.scenario },
    tolerancePct: tol,
    rows,
    regressions: rows.filter((r) => r.regression).length,
  };
}

/** One figure of a comparison row in its unit (`12.3 ms`, `0.50%`, `42`). */
export const fmtValue = (unit: ComparisonRow['unit'], v: number | null): string =>
  unit === 'ms' ? fmtMs(v) : unit === 'ratio' ? fmtPct(v) : fmtNum(v === null ? null : Math.round(v * 100) / 100);
/** A row's change with its sign and relative change, e.g. `+3.1 ms (+12.0%)`. */
export const fmtDelta = (r: ComparisonRow): string => {
  if (r.delta === null) return '-';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±';
  const pct = r.deltaPct === null ? '' : ` (${r.deltaPct > 0 ? '+' : ''}${r.deltaPct.toFixed(1)}%)`;
  return `${sign}${fmtValue(r.unit, Math.abs(r.delta))}${pct}`;
};

/** Plain-text table (terminal) or a Markdown table (PR comment). */
export function renderComparison(comparison: Comparison, format: 'text' | 'markdown' = 'text'): string {
  const { baseline, current, rows, regressions, tolerancePct } = comparison;
  const verdict = regressions === 0 ? `no regressions (tolerance ${tolerancePct}%)` : `${regressions} regression(s) (tolerance ${tolerancePct}%)`;
  const cells = rows.map((r) => [r.metric, fmtValue(r.unit, r.baseline), fmtValue(r.unit, r.current), fmtDelta(r), r.regression ? 'REGRESSION' : '']);
  if (format === 'markdown') {
    return [
      `## fleetsim comparison: ${escapeMd(current.scenario)}`,
      '',
      `baseline \`${escapeMd(baseline.runId)}\` → current \`${escapeMd(current.runId)}\`: **${verdict}**`,
      '',
      '| metric | baseline | current | change | |',
      '| :--- | ---: | ---: | ---: | :--- |',
      ...cells.map((c) => `| ${c.map((x, i) => (i === 0 ? `\`${escapeMd(x)}\`` : i === 4 && x ? '❌' : escapeMd(x))).join(' | ')} |`),
      '',
    ].join('\n');
  }
  return [
    `baseline ${baseline.runId} → current ${current.runId}: ${verdict}`,
    ...alignTable([['METRIC', 'BASELINE', 'CURRENT', 'CHANGE', ''], ...cells], ['l', 'r', 'r', 'r', 'l']),
    '',
  ].join('\n');
}
