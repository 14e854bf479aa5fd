import type { ErrorCount } from './recorder-types.js';

/**
 * Recovery metrics: for each fault of a run, what it did (errors, reconnect storm) and how long
 * the fleet took to get back to where it was before it. Pure: it reads the recorder's
 * per-second series and the fault windows, nothing else.
 *
 * Definitions (all per whole second of the recorder's time series; resolution 1 s):
 *
 * - **Baseline** ("before the fault"): the undisturbed seconds among the `baselineSeconds` (10)
 *   whole seconds before the second in which the fault started. A second is disturbed when an
 *   earlier fault had started and not yet recovered by then (from its start second up to, not
 *   including, the first second of its recovery; to the end of the run if it never recovered).
 *   - connected baseline = agents connected at the end of the last undisturbed second;
 *   - p99 baseline = the median of the per-second agent p99 over the undisturbed seconds that
 *     had agent requests (a median of per-second values, so one slow second before the fault
 *     does not loosen the bar; null when no second had agent requests).
 *   Fallbacks when no undisturbed second exists: a fault that starts while an earlier one is
 *   still unrecovered inherits that fault's baseline (`source: 'earlier-fault'`); a fault in
 *   the first second of the run (nothing before it) uses the whole run (`source: 'whole-run'`):
 *   the highest connected count of the run and the median per-second agent p99 outside the
 *   fault's own window. That fallback assumes the disturbance lasts less than half the run.
 * - **Recovered** at second s when (a) agents connected ≥ `connectedRatio` (99 %) of the
 *   baseline (rounded up to a whole agent) and (b) the agent p99 of s is under
 *   max(`p99Factor` (1.5) × baseline p99, baseline p99 + `p99SlackMs` (1 ms)), and both keep
 *   holding for `holdSeconds` (3) consecutive seconds, so one calm second inside a storm is not
 *   called a recovery. The slack keeps sub-millisecond loopback p99s from failing on scheduler
 *   noise. A second without agent requests neither breaks nor starts a streak (there is no
 *   latency evidence in it); (b) is waived when the baseline p99 is null.
 * - **recoveredAfterMs** = end of the first second of that streak − the fault's end (a search
 *   starts in the second in which the fault ended, so it is > 0 and at most 1 s late); null when
 *   no streak completed before the series ends. Faults that start meanwhile do not stop the
 *   search: a fault's recovery is the fleet being healthy again, whatever else happened.
 * - **Impact window** = from the fault's start second to its recovery second (the run's last
 *   second if it never recovered): `errors` (by endpoint × class) and `peakReconnectsPerSecond`
 *   are taken over it, because an instant fault (drop-agent-sockets) causes its errors and
 *   reconnects after it "ended". Overlapping faults each count the seconds of their own window.
 */
export interface FaultWindow {
  /** The fault's action, e.g. `restart-target`, `latency`, `drop-agent-sockets`. */
  action: string;
  /** When the fault began: ms since the recorder's `startedAtMs` (second 0 of its time series),
   * i.e. `recorder.elapsedMs()` at that moment. */
  atMs: number;
  /** When it ended, on the same clock; equal to `atMs` for an instant fault. A non-finite value
   * means it never ended: it is then reported as ending with the series, unrecovered. */
  endedAtMs: number;
}

/** What recovery needs of one second (a `TimeSeriesPoint` plus that second's errors). */
export interface RecoverySecond {
  connected: number;
  agentP99Ms: number | null;
  reconnects: number;
  /** That second's errors by endpoint × class; omitted when none. */
  errors?: readonly ErrorCount[];
}

export interface RecoveryOptions {
  /** Whole seconds before a fault that form its baseline. Default 10. */
  baselineSeconds?: number;
  /** Fraction of the baseline's connected agents that must be back. Default 0.99. */
  connectedRatio?: number;
  /** Per-second agent p99 must be under this multiple of the baseline p99. Default 1.5. */
  p99Factor?: number;
  /** …or under baseline + this many ms, whichever is larger. Default 1. */
  p99SlackMs?: number;
  /** Consecutive recovered seconds required. Default 3. */
  holdSeconds?: number;
}

export const RECOVERY_DEFAULTS: Readonly<Required<RecoveryOptions>> = Object.freeze({
  baselineSeconds: 10,
  connectedRatio: 0.99,
  p99Factor: 1.5,
  p99SlackMs: 1,
  holdSeconds: 3,
});

export interface FaultBaseline {
  /** Agents connected just before the fault. */
  connected: number;
  /** Median per-second agent p99 before the fault, ms; null when there were no agent requests. */
  p99Ms: number | null;
  /** `window`: the seconds before the fault; `earlier-fault`: inherited from the fault that was
   * still unrecovered; `whole-run`: nothing came before the fault (see the module comment). */
  source: 'window' | 'earlier-fault' | 'whole-run';
}

export interface FaultRecovery {
  action: string;
  atMs: number;
  endedAtMs: number;
  recoveredAfterMs: number | null;
  peakReconnectsPerSecond: number;
  /** Errors in the impact window by endpoint × class, most frequent first. */
  errors: ErrorCount[];
  baseline: FaultBaseline;
}

/** Per fault, in order of start (ties keep the given order). See the module comment. */
export function computeRecovery(series: readonly RecoverySecond[], faults: readonly FaultWindow[], options: RecoveryOptions = {}): FaultRecovery[] {
  const o = { ...RECOVERY_DEFAULTS, ...options };
  const n = series.length;
  const ordered = faults.map((f, i) => ({ f: normalise(f, n), i })).sort((a, b) => a.f.atMs - b.f.atMs || a.i - b.i);
  // [from, to) seconds during which an earlier fault had not recovered.
  const disturbed: { from: number; to: number }[] = [];
  let previous: FaultBaseline | undefined;
  return ordered.map(({ f }) => {
    const startSecond = Math.floor(f.atMs / 1000);
    const endSecond = Math.floor(f.endedAtMs / 1000);
    const baseline =
      windowBaseline(series, startSecond, disturbed, o.baselineSeconds) ??
      (previous ? { ...previous, source: 'earlier-fault' as const } : wholeRunBaseline(series, startSecond, endSecond));
    const recovered = f.open ? null : recoverySecond(series, endSecond, baseline, o);
    const impactEnd = Math.min(n - 1, recovered ?? n - 1);
    disturbed.push({ from: startSecond, to: recovered ?? Number.POSITIVE_INFINITY });
    previous = baseline;
    return {
      action: f.action,
      atMs: f.atMs,
      endedAtMs: f.endedAtMs,
      recoveredAfterMs: recovered === null ? null : (recovered + 1) * 1000 - f.endedAtMs,
      peakReconnectsPerSecond: peak(series, startSecond, impactEnd),
      errors: errorsIn(series, startSecond, impactEnd),
      baseline,
    };
  });
}

/** Clamps a window into the run; a fault that never ended ends with the series (`open`). */
function normalise(f: FaultWindow, n: number): FaultWindow & { open: boolean } {
  const atMs = Number.isFinite(f.atMs) && f.atMs > 0 ? f.atMs : 0;
  const open = !Number.isFinite(f.endedAtMs);
  return { action: f.action, atMs, endedAtMs: Math.max(atMs, open ? n * 1000 : f.endedAtMs), open };
}

function windowBaseline(
  series: readonly RecoverySecond[],
  start: number,
  disturbed: readonly { from: number; to: number }[],
  seconds: number,
): FaultBaseline | undefined {
  const clean: number[] = [];
  for (let s = Math.max(0, start - seconds); s < Math.min(start, series.length); s++) {
    if (!disturbed.some((d) => s >= d.from && s < d.to)) clean.push(s);
  }
  if (clean.length === 0) return undefined;
  return { connected: series[clean[clean.length - 1]!]!.connected, p99Ms: median(clean.map((s) => series[s]!.agentP99Ms)), source: 'window' };
}

function wholeRunBaseline(series: readonly RecoverySecond[], start: number, end: number): FaultBaseline {
  let connected = 0;
  for (const p of series) if (p.connected > connected) connected = p.connected;
  return { connected, p99Ms: median(series.filter((_, s) => s < start || s > end).map((p) => p.agentP99Ms)), source: 'whole-run' };
}

/** First second (≥ `from`) of a recovered streak of `holdSeconds`, or null. */
function recoverySecond(series: readonly RecoverySecond[], from: number, baseline: FaultBaseline, o: Required<RecoveryOptions>): number | null {
  const target = baseline.connected > 0 ? Math.ceil(baseline.connected * o.connectedRatio - 1e-9) : 0;
  const bound = baseline.p99Ms === null ? Number.POSITIVE_INFINITY : Math.max(baseline.p99Ms * o.p99Factor, baseline.p99Ms + o.p99SlackMs);
  const hold = Math.max(1, Math.floor(o.holdSeconds));
  let streak = -1;
  for (let s = Math.max(0, from); s < series.length; s++) {
    const p = series[s]!;
    if (p.connected < target || (p.agentP99Ms !== null && p.agentP99Ms >= bound)) {
      streak = -1;
      continue;
    }
    // A streak starts only on latency evidence (when there is a p99 to compare with).
    if (streak < 0 && baseline.p99Ms !== null && p.agentP99Ms === null) continue;
    if (streak < 0) streak = s;
    if (s - streak + 1 >= hold) return streak;
  }
  return null;
}

function median(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const mid = present.length >> 1;
  return present.length % 2 === 1 ? present[mid]! : (present[mid - 1]! + present[mid]!) / 2;
}

function peak(series: readonly RecoverySecond[], from: number, to: number): number {
  let max = 0;
  for (let s = Math.max(0, from); s <= to; s++) max = Math.max(max, series[s]!.reconnects);
  return max;
}

function errorsIn(series: readonly RecoverySecond[], from: number, to: number): ErrorCount[] {
  const rows = new Map<string, ErrorCount>();
  for (let s = Math.max(0, from); s <= to; s++) {
    for (const e of series[s]!.errors ?? []) {
      const key = `${e.endpoint}\u0000${e.class}`;
      const row = rows.get(key);
      if (row) row.count += e.count;
      else rows.set(key, { endpoint: e.endpoint, class: e.class, count: e.count });
    }
  }
  return [...rows.values()]
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.endpoint.localeCompare(b.endpoint) || a.class.localeCompare(b.class));
}
