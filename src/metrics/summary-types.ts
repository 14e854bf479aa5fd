import type { CapacitySummary } from '../capacity/types.js';
import type { TimeSeriesPoint } from './recorder-types.js';
import type { FaultBaseline } from './recovery.js';
/**
 * RunSummary: the one versioned, plain-JSON result of a run. Every reporter renders it, `compare`
 * diffs two of them, CI archives it. Latencies are milliseconds with µs precision (3 decimals).
 *
 * It is built only from metric names, tag values and counts, never from request bodies or
 * headers. Workloads must therefore never put tokens, keys or other secrets into tags (use route
 * templates and error classes); then no report can leak one.
 *
 * Bump `schemaVersion` on any breaking change (a removed or renamed field, a changed unit).
 * Added optional fields (`faults`, `pty`, the time series' `agentP99Ms` and `reconnects`, a
 * threshold's `detail`, the agents' `peakReconnectsPerSecond`, `httpConnectionsOpened` and `http`,
 * an endpoint's `queued`/`service`/`connect`, `phases`, `timeSeriesEndpoints`, `timeSeriesErrors`,
 * the coordinator's `propagationLadder`, the generator's `perSecond`, `gc` and `queuedOverService`,
 * and the time series' `gc`) are not breaking: readers of version 1 ignore them.
 */
export const SUMMARY_SCHEMA_VERSION = 1 as const;

/** `invalid`: the harness was saturated, so the figures describe fleetsim rather than the target. */
export type Outcome = 'passed' | 'failed' | 'invalid' | 'interrupted' | 'errored';

/** Latency statistics in ms; null when there were no samples. */
export interface LatencyStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export interface EndpointStats extends LatencyStats {
  /** Failed requests/socket events (sum of METRIC.error for this endpoint, every class). */
  errors: number;
  /** Requests per second over the run's duration. */
  rate: number;
  /**
   * Where the time went (src/metrics/request-timing.ts): intended start → bytes handed to the
   * socket (time inside fleetsim: a dial slot, a pooled connection, a late timer). Present for
   * the agents' requests, RPCs and dials.
   */
  queued?: TimingStats;
  /** Handed to the socket → response complete (time at the target and on the network). */
  service?: TimingStats;
  /** WebSocket dials: TCP connect + upgrade (their `service`). */
  connect?: TimingStats;
}

/** A latency split's figures in ms (null without samples). */
export interface TimingStats {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** The fleet's REST connection model (`agents.http`) as the run used it. */
export interface HttpModelSummary {
  model: 'shared' | 'per-agent';
  /** `scenario`: set there; `default`: the faithful default; `fd-budget`: the default did not fit
   * the open-files limit, so the fleet fell back to the shared pool. */
  chosen: 'scenario' | 'default' | 'fd-budget';
  /** The process's soft open-files limit, when known. */
  openFilesLimit?: number;
}

/**
 * One phase of the run (src/metrics/phase-stats.ts): its bounds in ms since second 0 of
 * `timeSeries`, and the `endpoints` table of the samples recorded in it (`rate` over the phase's
 * own length; endpoints without requests or errors in the phase are left out).
 */
export interface PhaseSummary {
  from: number;
  to: number;
  endpoints: Record<string, EndpointStats>;
}

/**
 * `ramp`: second 0 until every planned agent finished its start-up sequence (to the end when that
 * never happened); `steady`: from there until the stop; `drain`: while the workloads closed. A
 * merged run's bounds are the latest shard's; each shard's samples keep the phase it gave them.
 */
export interface RunPhases {
  ramp: PhaseSummary;
  steady: PhaseSummary;
  drain: PhaseSummary;
}

export interface RunMeta {
  scenario: string;
  seed: string;
  /** `embedded` or the target URL (never credentials). */
  target: string;
  /** ISO 8601 timestamps. */
  startedAt: string;
  endedAt: string;
  fleetsimVersion: string;
  runId: string;
  durationMs: number;
  /** Present when the run was merged from shards (`fleetsim merge`, `run --workers`). */
  shards?: ShardsMeta;
}

/** How a merged run was put together (runner/merge-shards.ts). */
export interface ShardsMeta {
  /** N: the shards the run was split into. */
  count: number;
  /** The shard indices merged (0-based). */
  merged: number[];
  /** Shards that were not there (only with `--allow-partial`): the figures cover part of the fleet. */
  missing: number[];
  partial: boolean;
  /** With the embedded target: each shard ran its own server (N independent servers). */
  embeddedServers?: number;
  /** One entry per merged shard. */
  list: {
    index: number;
    host: string;
    runId: string;
    startedAt: string;
    endedAt: string;
    /** How the shard stopped: `completed`, or the signal that stopped it. */
    stopReason: string;
    errored: boolean;
    /** The shard's harness self-check verdict. */
    generator?: 'ok' | 'saturated';
    /** The shard started this long after `--start-at`. */
    lateByMs?: number;
  }[];
}

export interface ErrorRow {
  endpoint: string;
  class: string;
  count: number;
}

export interface CoordinatorDirection {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  propagationMs: LatencyStats;
  /** Latency at each of PERCENTILE_LADDER for this direction; absent without samples. */
  propagationLadder?: PercentilePoint[];
}

/** One point of a latency-by-percentile curve (the distribution, HDR style). */
export interface PercentilePoint {
  /** Percentile, 0..100. */
  p: number;
  ms: number;
}

export interface CoordinatorSummary {
  updatesSent: number;
  updatesDelivered: number;
  /** Delivered updates per second over the run's duration. */
  deliveredPerSecond: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Send → receive latency of tagged node updates, all directions. */
  propagationMs: LatencyStats;
  /** The whole distribution of `propagationMs`: its latency at each percentile of
   * PERCENTILE_LADDER (src/metrics/summary.ts); absent without samples. */
  propagationLadder?: PercentilePoint[];
  /** Peer socket open → first agent node received. */
  firstNodeMs: LatencyStats;
  /** Present when the peers_connected gauge was recorded (`last` read like agents.connected). */
  peersConnected?: { last: number; peak: number };
  /** The same figures per `direction` tag (agent_to_peer, peer_to_agent). */
  byDirection: Record<string, CoordinatorDirection>;
}

/**
 * Terminal traffic through `GET /{id}/pty` (the `pty` workload). Bytes sent are the typed `data`
 * (not the JSON around it); bytes received are raw terminal output, replays included.
 */
export interface PtySummary {
  /** Sessions (reconnect ids) that opened at least once. */
  sessions: number;
  /** Sockets opened: first connections plus reconnects. */
  opened: number;
  /** Dials that failed (their classes are in `errors` under `GET /{id}/pty`). */
  failed: number;
  /** Reopens with the same reconnect id that opened. */
  reconnects: number;
  /** Sockets the server or the network closed, by close code (1000: the process exited). */
  closes: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  /** Over the run's duration (all sessions together); null for a zero-length run. */
  bytesSentPerSecond: number | null;
  bytesReceivedPerSecond: number | null;
  /** Seconds PTY sockets were open, summed over sessions. */
  openSeconds: number;
  /** Typing rate of one open session (bytesSent / openSeconds): compare with the configured
   * bytesPerSecond; lower means the generator fell behind or writes were skipped. */
  sentPerSessionSecond: number | null;
  /** Echo latency: a write's intended send time → its marker first seen in the output. */
  echoMs: LatencyStats;
  /** Writes whose echo never arrived. */
  echoLost: number;
  /** Writes skipped because over 1 MiB was queued on the socket (the target stopped reading). */
  writesSkipped: number;
  /** Reconnects whose replay was checked, and those whose replay differed or came short. */
  replayChecks: number;
  replayMismatches: number;
}

export interface RateLimitSeen {
  /** Last X-RateLimit-Limit seen, null if never. */
  limit: number | null;
  /** Last X-RateLimit-Remaining seen, and the lowest seen. */
  remaining: number | null;
  minRemaining: number | null;
}

/** One second of the run, as the recorder keeps it, plus the harness's GC in that second. */
export interface TimeSeriesRow extends TimeSeriesPoint {
  /** The harness's garbage-collection pauses that began in that second; present only on seconds
   * that had at least one, in runs whose self-check observed GC (one-process runs). */
  gc?: GcSecond;
}

/**
 * V8's kinds of collection, as perf_hooks reports them: `minor` is a scavenge of the young
 * generation (short, frequent), `major` a mark-sweep-compact of the whole heap (the long ones),
 * `incremental` a step of incremental marking, `weakcb` the processing of weak callbacks.
 */
export type GcPauseKind = 'minor' | 'major' | 'incremental' | 'weakcb';

/** The harness's GC pauses within one second of `timeSeries`. */
export interface GcSecond {
  /** Time the harness's JavaScript thread was stopped by GC, ms (sum of the pauses). */
  pauseMs: number;
  /** Number of pauses. */
  pauses: number;
  /** The longest single pause, ms. */
  maxPauseMs: number;
  /** Part of `pauseMs` spent in major (mark-sweep-compact) collections, ms. */
  majorPauseMs: number;
}

/**
 * The harness's garbage collection over the measured run (perf_hooks `gc` entries of the process
 * that ran the fleet). A long pause stops every timer and socket read of the harness, so the
 * requests in flight in that second look slower than the target made them.
 */
export interface GcSummary {
  /** Sum of all pauses, ms. */
  totalPauseMs: number;
  /** `totalPauseMs` as a percentage of the measured wall time. */
  pausedPercent: number;
  /** Number of pauses. */
  pauses: number;
  /** The longest single pause, ms, and its kind (null when there was no pause). */
  maxPauseMs: number;
  maxPauseKind: GcPauseKind | null;
  /** Major (mark-sweep-compact) collections: how many, and their pauses summed, ms. */
  majorCount: number;
  majorPauseMs: number;
  /** The second of `timeSeries` with the most GC pause time (null when none), and that time, ms. */
  worstSecond: number | null;
  worstSecondPauseMs: number;
  /** Pauses and pause time by kind (only kinds that occurred). */
  byKind: Partial<Record<GcPauseKind, { pauses: number; pauseMs: number }>>;
  /** Pauses of at least `longPauseMs`, longest first (at most 10): `t` is their second of
   * `timeSeries`, so a slow second can be matched with the GC that stalled it. */
  longPauses: { t: number; pauseMs: number; kind: GcPauseKind }[];
  /** The threshold of `longPauses`, ms (the saturation rule's 50 ms). */
  longPauseMs: number;
}

export interface ThresholdResult {
  expression: string;
  /** The measured value in the threshold's unit (ms, ratio or number); null when unavailable
   * (unknown endpoint, no samples, no coordinator metrics, a fault that never recovered). */
  observed: number | null;
  pass: boolean;
  /** Why `observed` is null when the reason is worth telling (e.g. "did not recover"). */
  detail?: string;
}

/**
 * One fault of the run and the fleet's recovery from it (see src/metrics/recovery.ts for the
 * exact definitions). Times are ms since second 0 of `timeSeries`.
 */
export interface FaultSummary {
  action: string;
  at: number;
  endedAt: number;
  /** From the fault's end until agents connected and their p99 were back to the baseline and
   * held there; null when that did not happen before the run ended. 1 s resolution. */
  recoveredAfterMs: number | null;
  /** Most coordinate-socket reconnects in one second, from the fault's start to its recovery. */
  peakReconnectsPerSecond: number;
  /** Errors from the fault's start to its recovery (the run's end if none), by endpoint × class. */
  errors: ErrorRow[];
  /** What "recovered" was measured against. */
  baseline: FaultBaseline;
}

/**
 * The fault proxy a run with network faults puts between the fleet and the target. Its
 * counters say what the target itself saw (the fleet's own counts include refused dials the
 * target never saw).
 */
export interface ProxySummary {
  /** Where the proxy ran: its own process, so it does not share the load generator's loop. */
  placement: 'child-process';
  /** What the proxy costs the figures, in words. */
  note: string;
  /** Client connections the proxy accepted. */
  connectionsOpened: number;
  /** Most connections the target held at once through the proxy. */
  peakTargetOpen: number;
  /** Most client connections open at once. */
  peakClientOpen: number;
  /** Connections torn down by reset actions, and by refuse actions. */
  reset: number;
  refused: number;
  /** Connections the proxy could not open to the target. */
  targetFailed: number;
  bytesUpstream: number;
  bytesDownstream: number;
  /** CPU time the proxy process used (user + system), ms. */
  cpuMs: number;
}

/** Every recorded series, for metrics the fixed sections do not show. */
export interface MetricsSection {
  trends: ({ name: string; tags: Record<string, string> } & LatencyStats)[];
  counters: { name: string; tags: Record<string, string>; value: number }[];
  gauges: { name: string; tags: Record<string, string>; last: number; min: number; max: number }[];
  rates: { name: string; tags: Record<string, string>; passes: number; total: number }[];
}

export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  outcome: Outcome;
  meta: RunMeta;
  /** The scenario's plan as given by the runner (opaque here). */
  plan?: unknown;
  agents: {
    planned: number;
    authenticated: number;
    /** agents_connected when the run ended: at `recorder.markEnd()` (before sockets are torn
     * down), else at the end of the planned duration, else the last value. */
    connected: number;
    /** Highest agents_connected value. */
    peakConnected: number;
    reconnects: number;
    /** Most coordinate-socket reconnects in one second of the run; present when there were any. */
    peakReconnectsPerSecond?: number;
    /** REST connections the agents opened to the target (`agents.http`); present when counted. */
    httpConnectionsOpened?: number;
    /** The REST connection model the fleet ran with; present when the fleet recorded it. */
    http?: HttpModelSummary;
  };
  totals: { requests: number; errors: number; errorRate: number };
  /** The harness self-check (set by the runner; absent in summaries built by other tools). */
  generator?: GeneratorSummary;
  /** Keyed by `<METHOD> <route template>`, sorted by key. */
  endpoints: Record<string, EndpointStats>;
  /** `endpoints` split by phase; absent in summaries written before phases existed. */
  phases?: RunPhases;
  /** Errors by endpoint × class, most frequent first. */
  errors: ErrorRow[];
  /** The run's faults in order of start; absent when the run had none. */
  faults?: FaultSummary[];
  /** The fault proxy, when the run had network faults. */
  proxy?: ProxySummary;
  coordinator?: CoordinatorSummary;
  /** Present when the run had terminal traffic (the `pty` workload). */
  pty?: PtySummary;
  rateLimit?: Record<string, RateLimitSeen>;
  timeSeries: TimeSeriesRow[];
  /** Request latency per second of each endpoint (index = second of `timeSeries`), ms; null
   * for seconds without samples. Present when the run had requests. */
  timeSeriesEndpoints?: Record<string, { p50Ms: (number | null)[]; p99Ms: (number | null)[] }>;
  /** Errors per second by class, all endpoints together (index = second of `timeSeries`).
   * Present when the run had errors. */
  timeSeriesErrors?: Record<string, number[]>;
  metrics: MetricsSection;
  thresholds: ThresholdResult[];
  /** Only in the report of `fleetsim capacity`: the search and its knee (src/capacity/types.ts). */
  capacity?: CapacitySummary;
}

/**
 * How hard the harness itself worked (src/observe/): when its event loop lagged or its CPU was
 * pegged, every latency above describes fleetsim, not the target. See `saturation.ts` for the rule.
 */
export interface GeneratorSummary {
  /** Event-loop delay of the harness over the measured run (lateness beyond the sampling interval). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Process CPU (user + system) per sampled second, in % of one core. */
  cpuPercent: { mean: number; max: number };
  /** Highest resident set size seen, bytes. */
  maxRssBytes: number;
  /** Seconds sampled (a final partial second counts when it lasted at least half a second). */
  seconds: number;
  /** Sampled seconds that broke the per-second limits (event-loop p99 or CPU). */
  saturatedSeconds: number;
  verdict: 'ok' | 'saturated';
  /** True when the run was saturated but `--allow-saturated` kept its outcome. */
  saturationAllowed?: boolean;
  /** Every sampled second (index = sample), for the report's health strip. Absent in summaries
   * built without a run clock (other tools); in a merged run, the worst shard's. */
  perSecond?: GeneratorPerSecond;
  /** The harness's GC pauses; absent when the probe does not observe GC. */
  gc?: GcSummary;
  /**
   * Endpoints whose time queued inside fleetsim had a higher p99 than their service time
   * (src/metrics/timing-summary.ts): their latency describes the harness more than the target.
   * Informative: it does not make the run invalid by itself (the event-loop and CPU rule does),
   * since a deliberate shared pool or start-up burst queues without the harness being saturated.
   */
  queuedOverService?: { count: number; endpoints: string[] };
}

/** The harness's sampled seconds, column by column (all arrays have one entry per sample). */
export interface GeneratorPerSecond {
  /** When the sample's window ended, in seconds since second 0 of `timeSeries` (0.1 s). */
  atS: number[];
  /** Event-loop delay p99 within the window, ms. */
  eventLoopP99Ms: number[];
  /** Process CPU in % of one core. */
  cpuPercent: number[];
  /** The window broke the per-second limits (saturation.ts). */
  saturated: boolean[];
}
