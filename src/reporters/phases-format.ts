/**
 * The run's phases for every reporter: one line with the bounds, and the steady phase's
 * endpoint table beside the whole run's p99. Plain text cells; each reporter escapes them.
 */
import { PHASES } from '../metrics/phases.js';
import type { RunPhases, RunSummary } from '../metrics/summary-types.js';
import { fmtMs, fmtNum } from './format.js';

const fmtAt = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** `ramp 0.0s–2.0s · steady 2.0s–8.0s · drain 8.0s–10.0s`. */
export function phasesLine(phases: RunPhases): string {
  return PHASES.map((p) => `${p} ${fmtAt(phases[p].from)}–${fmtAt(phases[p].to)}`).join(' · ');
}

export interface SteadyTable {
  /** e.g. `steady phase 2.0s–8.0s (ramp 0.0s–2.0s · drain 8.0s–10.0s)`. */
  title: string;
  header: string[];
  /** One row per endpoint of the run; an endpoint quiet in the steady phase shows 0 and `-`. */
  rows: string[][];
}

/**
 * The steady phase's figures per endpoint with the whole run's p99 beside them; undefined for a
 * summary without phases. `rows` is empty when the run never reached steady (the title says so).
 */
export function steadyTable(summary: RunSummary): SteadyTable | undefined {
  const phases = summary.phases;
  if (!phases) return undefined;
  const { steady, ramp, drain } = phases;
  if (steady.to <= steady.from) {
    return { title: `no steady phase: the ramp did not end before the stop (${phasesLine(phases)})`, header: [], rows: [] };
  }
  const rows = Object.entries(summary.endpoints).map(([name, run]) => {
    const e = steady.endpoints[name];
    return [
      name,
      fmtNum(e?.count ?? 0),
      fmtNum(e?.errors ?? 0),
      fmtNum(e?.rate ?? 0),
      fmtMs(e?.p50),
      fmtMs(e?.p90),
      fmtMs(e?.p99),
      fmtMs(e?.max),
      fmtMs(run.p99),
    ];
  });
  return {
    title: `steady phase ${fmtAt(steady.from)}–${fmtAt(steady.to)} (ramp ${fmtAt(ramp.from)}–${fmtAt(ramp.to)} · drain ${fmtAt(drain.from)}–${fmtAt(drain.to)})`,
    header: ['endpoint', 'count', 'errors', 'req/s', 'p50', 'p90', 'p99', 'max', 'run p99'],
    rows,
  };
}

/** JUnit properties: `phase.<name>` (bounds, requests, errors) and `steady.<endpoint>`. */
export function phaseProperties(summary: RunSummary): string[][] {
  const phases = summary.phases;
  if (!phases) return [];
  const props = PHASES.map((p) => {
    const rows = Object.values(phases[p].endpoints);
    const requests = rows.reduce((n, e) => n + e.count, 0);
    const errors = rows.reduce((n, e) => n + e.errors, 0);
    return [`phase.${p}`, `${fmtAt(phases[p].from)}–${fmtAt(phases[p].to)}, ${requests} requests, ${errors} errors`];
  });
  for (const [name, e] of Object.entries(phases.steady.endpoints)) {
    const run = summary.endpoints[name];
    props.push([
      `steady.${name}`,
      `count ${e.count}, errors ${e.errors}, p50 ${fmtMs(e.p50)}, p99 ${fmtMs(e.p99)}, max ${fmtMs(e.max)} (run p99 ${fmtMs(run?.p99)})`,
    ]);
  }
  return props;
}
