import type { FaultSummary, RunSummary } from '../metrics/summary-types.js';
import { fmtMs, fmtNum } from './format.js';

/** Shared wording of a run's faults, so every reporter says the same thing about each. */

/** A moment of the run: `10.5s` (fault times are ms since second 0 of the time series). */
export const fmtAt = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** `10.5s` for an instant fault, else `20.0s–21.0s`. */
export const fmtWindow = (f: FaultSummary): string => (f.endedAt === f.at ? fmtAt(f.at) : `${fmtAt(f.at)}–${fmtAt(f.endedAt)}`);

/** Time to recover, or `never` when the fleet did not recover before the run ended. */
export const fmtRecovered = (f: FaultSummary): string => (f.recoveredAfterMs === null ? 'never' : fmtMs(f.recoveredAfterMs));

export const faultErrorTotal = (f: FaultSummary): number => f.errors.reduce((n, e) => n + e.count, 0);

/** The most frequent error kinds of a fault: `reset 100 (GET /me/coordinate), refused 5 (…) +2 more`. */
export function fmtFaultErrors(f: FaultSummary, top = 3): string {
  if (f.errors.length === 0) return '0';
  const shown = f.errors.slice(0, top).map((e) => `${e.class} ${fmtNum(e.count)} (${e.endpoint})`);
  const more = f.errors.length > top ? ` +${f.errors.length - top} more` : '';
  return shown.join(', ') + more;
}

/** What "recovered" meant for this fault: `100 agents, p99 10.0ms`. */
export function fmtBaseline(f: FaultSummary): string {
  const b = f.baseline;
  const from = b.source === 'window' ? '' : b.source === 'earlier-fault' ? ' (from the earlier fault)' : ' (whole run: nothing before it)';
  return `${fmtNum(b.connected)} agents, p99 ${fmtMs(b.p99Ms)}${from}`;
}

/** One line per fault for plain-text reports (JUnit). */
export function faultLine(f: FaultSummary): string {
  return (
    `${f.action} at ${fmtWindow(f)}: ${f.recoveredAfterMs === null ? 'not recovered by the end of the run' : `recovered after ${fmtMs(f.recoveredAfterMs)}`}, ` +
    `peak ${fmtNum(f.peakReconnectsPerSecond)} reconnects/s, ${fmtNum(faultErrorTotal(f))} errors`
  );
}

/**
 * A timeline strip for a sparkline of `buckets` buckets of `bucketSeconds` each: `█` where a
 * fault was active, `░` while the fleet was recovering (to the end of the run if it never did),
 * a space elsewhere.
 */
export function faultStrip(faults: readonly FaultSummary[], buckets: number, bucketSeconds: number): string {
  const cells: string[] = new Array<string>(buckets).fill(' ');
  const span = (fromMs: number, toMs: number, mark: string, over: string[]) => {
    const first = Math.floor(fromMs / 1000 / bucketSeconds);
    const last = Math.min(buckets - 1, Math.floor(Math.max(fromMs, toMs - 1) / 1000 / bucketSeconds));
    for (let i = Math.max(0, first); i <= last; i++) if (!over.includes(cells[i]!)) cells[i] = mark;
  };
  for (const f of faults) {
    const recoveredAt = f.recoveredAfterMs === null ? buckets * bucketSeconds * 1000 : f.endedAt + f.recoveredAfterMs;
    span(f.endedAt, recoveredAt, '░', ['█']);
  }
  for (const f of faults) span(f.at, f.endedAt, '█', []);
  return cells.join('');
}

/** One line about the fault proxy (runs with network faults), the same in every reporter. */
export function fmtProxy(proxy: NonNullable<RunSummary['proxy']>): string {
  return `fault proxy (${proxy.placement}): ${proxy.connectionsOpened} connections, target held at most ${proxy.peakTargetOpen} at once; ${proxy.reset} reset, ${proxy.refused} refused by faults; proxy CPU ${proxy.cpuMs} ms`;
}
