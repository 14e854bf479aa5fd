import { errorRate } from './error-rate.js';
/** Re-exported: callers that import it from here keep working. */
export { errorRate } from './error-rate.js';
import { newHistogram, type Histogram } from './hdr.js';
import { METRIC } from './names.js';
import { buildPhases } from './phase-summary.js';
import { buildPty } from './pty-summary.js';
import type { Recorder, TimeSeriesPoint, TrendSeries } from './recorder-types.js';
import { endpointTimings, httpModelSummary, queuedOverService } from './timing-summary.js';
import { computeRecovery, type FaultWindow, type RecoveryOptions } from './recovery.js';
import {
  SUMMARY_SCHEMA_VERSION,
  type CoordinatorDirection,
  type CoordinatorSummary,
  type EndpointStats,
  type GeneratorSummary,
  type ErrorRow,
  type FaultSummary,
  type LatencyStats,
  type Outcome,
  type PercentilePoint,
  type RateLimitSeen,
  type RunMeta,
  type RunSummary,
} from './summary-types.js';

export interface BuildSummaryInput {
  /** Default 'passed'; the runner sets the final outcome after evaluating thresholds. */
  outcome?: Outcome;
  meta: Omit<RunMeta, 'durationMs'>;
  plan?: unknown;
  agentsPlanned: number;
  /** The harness self-check, placed after `totals` (the runner passes it). */
  generator?: GeneratorSummary;
  /**
   * The faults the run applied, stamped on the recorder's clock (`recorder.elapsedMs()` when
   * each began and ended; `createFaultLog(recorder)` does that). With at least one, the summary
   * gets a `faults` section with each fault's recovery.
   */
  faults?: readonly FaultWindow[];
  /** Tuning of the recovery definition (defaults in RECOVERY_DEFAULTS). */
  recovery?: RecoveryOptions;
}

/** Tag value used when a series lacks the expected tag. */
const UNTAGGED = '(untagged)';

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Latency stats of several series merged (their histograms added; min/max/sum exact). */
function latencyStats(series: readonly Pick<TrendSeries, 'count' | 'sumUs' | 'minUs' | 'maxUs' | 'histogram'>[]): LatencyStats {
  let count = 0;
  let sumUs = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = 0;
  for (const s of series) {
    count += s.count;
    sumUs += s.sumUs;
    minUs = Math.min(minUs, s.minUs);
    maxUs = Math.max(maxUs, s.maxUs);
  }
  if (count === 0) return { count: 0, min: null, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null };
  let histogram: Histogram;
  let temporary = false;
  if (series.length === 1) histogram = series[0]!.histogram;
  else {
    histogram = newHistogram();
    temporary = true;
    for (const s of series) histogram.add(s.histogram);
  }
  // HDR answers with a bucket's upper edge; clamping into [min, max] keeps e.g. a constant 5 ms
  // series at 5 ms instead of 5.003.
  const at = (p: number) => round3(Math.min(maxUs, Math.max(minUs, histogram.getValueAtPercentile(p))) / 1000);
  const stats: LatencyStats = {
    count,
    min: round3(minUs / 1000),
    mean: round3(sumUs / count / 1000),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: round3(maxUs / 1000),
  };
  if (temporary) histogram.destroy();
  return stats;
}

/** The percentiles of a latency-by-percentile curve: dense up to p90, then toward the tail. */
export const PERCENTILE_LADDER = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 100] as const;

/** Latency at every percentile of PERCENTILE_LADDER (clamped into [min, max]); undefined without samples. */
function ladder(series: readonly TrendSeries[]): PercentilePoint[] | undefined {
  const samples = series.filter((s) => s.count > 0);
  if (samples.length === 0) return undefined;
  const minUs = Math.min(...samples.map((s) => s.minUs));
  const maxUs = Math.max(...samples.map((s) => s.maxUs));
  const histogram = newHistogram();
  try {
    for (const s of samples) histogram.add(s.histogram);
    return PERCENTILE_LADDER.map((p) => ({
      p,
      ms: round3((p === 0 ? minUs : p === 100 ? maxUs : Math.min(maxUs, Math.max(minUs, histogram.getValueAtPercentile(p)))) / 1000),
    }));
  } finally {
    histogram.destroy();
  }
}

function groupBy<S extends { tags: Readonly<Record<string, string>> }>(series: readonly S[], tag: string): Map<string, S[]> {
  const groups = new Map<string, S[]>();
  for (const s of series) {
    const key = s.tags[tag] ?? UNTAGGED;
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return groups;
}

const sumCounters = (recorder: Recorder, name: string, filter?: (tags: Readonly<Record<string, string>>) => boolean): number =>
  recorder.counterSeries(name).reduce((n, s) => (filter && !filter(s.tags) ? n : n + s.value), 0);

function buildCoordinator(recorder: Recorder, durationS: number): CoordinatorSummary | undefined {
  const counterNames = [METRIC.coordUpdatesSent, METRIC.coordUpdatesDelivered, METRIC.coordLost, METRIC.coordDuplicated, METRIC.coordOutOfOrder];
  const used =
    counterNames.some((n) => recorder.counterSeries(n).length > 0) ||
    recorder.trendSeries(METRIC.coordPropagation).length > 0 ||
    recorder.trendSeries(METRIC.coordFirstNode).length > 0 ||
    recorder.gaugeSeries(METRIC.peersConnected).length > 0;
  if (!used) return undefined;
  const delivered = sumCounters(recorder, METRIC.coordUpdatesDelivered);
  const directions = new Set<string>();
  for (const n of [...counterNames]) for (const s of recorder.counterSeries(n)) directions.add(s.tags.direction ?? UNTAGGED);
  for (const s of recorder.trendSeries(METRIC.coordPropagation)) directions.add(s.tags.direction ?? UNTAGGED);
  const byDirection: Record<string, CoordinatorDirection> = {};
  for (const dir of [...directions].sort()) {
    const match = (tags: Readonly<Record<string, string>>) => (tags.direction ?? UNTAGGED) === dir;
    byDirection[dir] = {
      sent: sumCounters(recorder, METRIC.coordUpdatesSent, match),
      delivered: sumCounters(recorder, METRIC.coordUpdatesDelivered, match),
      lost: sumCounters(recorder, METRIC.coordLost, match),
      duplicated: sumCounters(recorder, METRIC.coordDuplicated, match),
      outOfOrder: sumCounters(recorder, METRIC.coordOutOfOrder, match),
      propagationMs: latencyStats(recorder.trendSeries(METRIC.coordPropagation).filter((s) => match(s.tags))),
    };
    const dirLadder = ladder(recorder.trendSeries(METRIC.coordPropagation).filter((s) => match(s.tags)));
    if (dirLadder) byDirection[dir].propagationLadder = dirLadder;
  }
  const peers = recorder.gaugeSeries(METRIC.peersConnected);
  const summary: CoordinatorSummary = {
    updatesSent: sumCounters(recorder, METRIC.coordUpdatesSent),
    updatesDelivered: delivered,
    deliveredPerSecond: durationS > 0 ? round2(delivered / durationS) : 0,
    lost: sumCounters(recorder, METRIC.coordLost),
    duplicated: sumCounters(recorder, METRIC.coordDuplicated),
    outOfOrder: sumCounters(recorder, METRIC.coordOutOfOrder),
    propagationMs: latencyStats(recorder.trendSeries(METRIC.coordPropagation)),
    firstNodeMs: latencyStats(recorder.trendSeries(METRIC.coordFirstNode)),
    byDirection,
  };
  const allLadder = ladder(recorder.trendSeries(METRIC.coordPropagation));
  if (allLadder) summary.propagationLadder = allLadder;
  if (peers.length > 0) {
    const marked = recorder.endElapsedMs() !== undefined;
    summary.peersConnected = { last: peers.reduce((n, s) => n + (marked ? (s.atEnd ?? 0) : s.last), 0), peak: peers.reduce((n, s) => n + s.max, 0) };
  }
  return summary;
}

function buildRateLimit(recorder: Recorder): Record<string, RateLimitSeen> | undefined {
  const limits = groupBy(recorder.gaugeSeries(METRIC.rateLimitLimit), 'endpoint');
  const remaining = groupBy(recorder.gaugeSeries(METRIC.rateLimitRemaining), 'endpoint');
  if (limits.size === 0 && remaining.size === 0) return undefined;
  const out: Record<string, RateLimitSeen> = {};
  for (const endpoint of [...new Set([...limits.keys(), ...remaining.keys()])].sort()) {
    const l = limits.get(endpoint)?.[0];
    const r = remaining.get(endpoint);
    out[endpoint] = {
      limit: l ? l.last : null,
      remaining: r ? r[r.length - 1]!.last : null,
      minRemaining: r ? Math.min(...r.map((s) => s.min)) : null,
    };
  }
  return out;
}

/**
 * Where the measured run ended, in whole seconds of the time series. Workloads close their
 * sockets after the stop signal, so "connected at the end" must be read before that teardown:
 * - `recorder.markEnd()` was called (the runner does it when the stop fires): exact;
 * - else `plan.durationMs` (the planned length): the last full second of the plan;
 * - else the meta duration (then "connected" is the last value, i.e. after teardown).
 */
function runEnd(recorder: Recorder, input: BuildSummaryInput, durationMs: number): { seconds: number; marked: boolean; fromPlan: boolean } {
  const marked = recorder.endElapsedMs();
  if (marked !== undefined) return { seconds: Math.max(1, Math.floor(marked / 1000)), marked: true, fromPlan: false };
  const planned = (input.plan as { durationMs?: unknown } | undefined)?.durationMs;
  if (typeof planned === 'number' && planned > 0 && planned <= durationMs) {
    return { seconds: Math.max(1, Math.ceil(planned / 1000)), marked: false, fromPlan: true };
  }
  return { seconds: Math.max(1, Math.ceil(durationMs / 1000)), marked: false, fromPlan: false };
}

function durationOf(meta: BuildSummaryInput['meta'], recorder: Recorder): number {
  const ms = Date.parse(meta.endedAt) - Date.parse(meta.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : Math.round(recorder.elapsedMs());
}

/**
 * Builds the RunSummary from a recorder. Pure reading: the recorder is not changed (except that
 * its live per-second histogram is frozen). `thresholds` is left empty and `outcome` is
 * `input.outcome ?? 'passed'`; the runner evaluates thresholds on the result and sets both.
 */
export function buildSummary(recorder: Recorder, input: BuildSummaryInput): RunSummary {
  const durationMs = durationOf(input.meta, recorder);
  const durationS = durationMs / 1000;

  const errorSeries = recorder.counterSeries(METRIC.error);
  const errorsByEndpoint = new Map<string, number>();
  const errorRows = new Map<string, ErrorRow>();
  for (const s of errorSeries) {
    const endpoint = s.tags.endpoint ?? UNTAGGED;
    const cls = s.tags.class ?? 'other';
    errorsByEndpoint.set(endpoint, (errorsByEndpoint.get(endpoint) ?? 0) + s.value);
    const key = `${endpoint}\u0000${cls}`;
    const row = errorRows.get(key);
    if (row) row.count += s.value;
    else errorRows.set(key, { endpoint, class: cls, count: s.value });
  }
  const errors = [...errorRows.values()]
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.endpoint.localeCompare(b.endpoint) || a.class.localeCompare(b.class));

  const requestGroups = groupBy(recorder.trendSeries(METRIC.request), 'endpoint');
  const endpointNames = [...new Set([...requestGroups.keys(), ...errorsByEndpoint.keys()])].sort();
  const endpoints: Record<string, EndpointStats> = {};
  let totalRequests = 0;
  let totalErrors = 0;
  const timings = endpointTimings(recorder, latencyStats);
  for (const endpoint of endpointNames) {
    const stats = latencyStats(requestGroups.get(endpoint) ?? []);
    const errorCount = errorsByEndpoint.get(endpoint) ?? 0;
    totalRequests += stats.count;
    totalErrors += errorCount;
    endpoints[endpoint] = { ...stats, errors: errorCount, rate: durationS > 0 ? round2(stats.count / durationS) : 0, ...timings.get(endpoint) };
  }
  const queuedEndpoints = queuedOverService(endpoints);
  const generator = input.generator ? { ...input.generator, queuedOverService: { count: queuedEndpoints.length, endpoints: queuedEndpoints } } : undefined;
  const httpModel = httpModelSummary(recorder);

  const connectedSeries = recorder.gaugeSeries(METRIC.agentsConnected);
  const timeSeriesAll = recorder.timeSeries();
  const end = runEnd(recorder, input, durationMs);
  const timeSeries = timeSeriesAll.length > end.seconds ? timeSeriesAll.slice(0, end.seconds) : timeSeriesAll;
  const connectedAtEnd = end.marked
    ? connectedSeries.reduce((n, s) => n + (s.atEnd ?? 0), 0)
    : end.fromPlan && connectedSeries.length > 0 && timeSeriesAll.length > end.seconds
      ? timeSeriesAll[end.seconds - 1]!.connected
      : connectedSeries.reduce((n, s) => n + s.last, 0);

  const faults = input.faults && input.faults.length > 0 ? buildFaults(recorder, timeSeries, input.faults, input.recovery) : undefined;
  const coordinator = buildCoordinator(recorder, durationS);
  const pty = buildPty(recorder, durationS, latencyStats(recorder.trendSeries(METRIC.ptyEcho)));
  const rateLimit = buildRateLimit(recorder);
  const reconnects = recorder.counterTotal(METRIC.agentsReconnects);
  const peakReconnects = timeSeries.reduce((max, p) => Math.max(max, p.reconnects), 0);
  const phases = buildPhases(recorder, latencyStats);
  const httpOpened = recorder.counterSeries(METRIC.httpConnectionsOpened).length > 0 ? recorder.counterTotal(METRIC.httpConnectionsOpened) : undefined;
  // Field order is the order a reader wants in summary.json: verdict, context, results, detail.
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    outcome: input.outcome ?? 'passed',
    meta: { ...input.meta, durationMs },
    ...(input.plan !== undefined ? { plan: input.plan } : {}),
    agents: {
      planned: input.agentsPlanned,
      authenticated: recorder.counterTotal(METRIC.agentsAuthenticated),
      connected: connectedAtEnd,
      peakConnected: connectedSeries.reduce((n, s) => n + s.max, 0),
      reconnects,
      ...(reconnects > 0 ? { peakReconnectsPerSecond: peakReconnects } : {}),
      ...(httpOpened !== undefined ? { httpConnectionsOpened: httpOpened } : {}),
      ...(httpModel ? { http: httpModel } : {}),
    },
    totals: { requests: totalRequests, errors: totalErrors, errorRate: errorRate(totalErrors, totalRequests) },
    ...(generator ? { generator } : {}),
    endpoints,
    ...(phases ? { phases } : {}),
    errors,
    ...(faults ? { faults } : {}),
    ...(coordinator ? { coordinator } : {}),
    ...(pty ? { pty } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    timeSeries,
    ...secondSeries(recorder, timeSeries.length),
    thresholds: [],
    metrics: {
      trends: recorder.trendSeries().map((s) => ({ name: s.name, tags: { ...s.tags }, ...latencyStats([s]) })),
      counters: recorder.counterSeries().map((s) => ({ name: s.name, tags: { ...s.tags }, value: s.value })),
      gauges: recorder.gaugeSeries().map((s) => ({ name: s.name, tags: { ...s.tags }, last: s.last, min: s.min, max: s.max })),
      rates: recorder.rateSeries().map((s) => ({ name: s.name, tags: { ...s.tags }, passes: s.passes, total: s.total })),
    },
  };
}

/** Per-endpoint latency and per-class errors of every second, cut to the summary's time series. */
function secondSeries(recorder: Recorder, length: number): Pick<RunSummary, 'timeSeriesEndpoints' | 'timeSeriesErrors'> {
  const out: Pick<RunSummary, 'timeSeriesEndpoints' | 'timeSeriesErrors'> = {};
  const byEndpoint = recorder.endpointsBySecond();
  if (byEndpoint.size > 0) {
    const round = (v: number | null) => (v === null ? null : round3(v));
    out.timeSeriesEndpoints = Object.fromEntries(
      [...byEndpoint.keys()].sort().map((name) => {
        const e = byEndpoint.get(name)!;
        return [name, { p50Ms: e.p50Ms.slice(0, length).map(round), p99Ms: e.p99Ms.slice(0, length).map(round) }];
      }),
    );
  }
  const errors = recorder.errorsBySecond().slice(0, length);
  const byClass: Record<string, number[]> = {};
  errors.forEach((rows, t) => {
    for (const r of rows) (byClass[r.class] ??= new Array<number>(length).fill(0))[t]! += r.count;
  });
  if (Object.keys(byClass).length > 0) out.timeSeriesErrors = Object.fromEntries(Object.entries(byClass).sort(([a], [b]) => a.localeCompare(b)));
  return out;
}

/** Recovery of every fault over the (end-trimmed) time series. */
function buildFaults(recorder: Recorder, timeSeries: readonly TimeSeriesPoint[], windows: readonly FaultWindow[], options?: RecoveryOptions): FaultSummary[] {
  const errors = recorder.errorsBySecond();
  const series = timeSeries.map((p, t) => ({ connected: p.connected, agentP99Ms: p.agentP99Ms, reconnects: p.reconnects, errors: errors[t] ?? [] }));
  return computeRecovery(series, windows, options).map((r) => ({
    action: r.action,
    at: Math.round(r.atMs),
    endedAt: Math.round(r.endedAtMs),
    recoveredAfterMs: r.recoveredAfterMs === null ? null : Math.round(r.recoveredAfterMs),
    peakReconnectsPerSecond: r.peakReconnectsPerSecond,
    errors: r.errors,
    baseline: r.baseline.p99Ms === null ? r.baseline : { ...r.baseline, p99Ms: round3(r.baseline.p99Ms) },
  }));
}
