import type { Histogram } from './hdr.js';
import type { EncodedPhaseTrend, PhaseTrends } from './phase-stats.js';
import type { MetricSink, Tags } from './sink.js';
import type { EndpointSeconds } from './time-series.js';

/** One trend series (metric name + tags). Durations are kept as whole µs so sums merge exactly. */
export interface TrendSeries {
  readonly name: string;
  readonly tags: Tags;
  readonly histogram: Histogram;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  /** True for `request` series of an agent-side endpoint (see `isAgentEndpoint`): their samples
   * also feed the per-second agent p99 that recovery metrics compare. Decided once per series. */
  readonly agentRequest: boolean;
  /** `request` series only: the same figures per phase (ramp, steady, drain). */
  readonly phases?: PhaseTrends;
  /** For `request` series: the per-second histograms of its endpoint (set on the first sample). */
  endpointSeconds?: EndpointSeconds;
}

export interface CounterSeries {
  readonly name: string;
  readonly tags: Tags;
  value: number;
  /** `error` series only: `value` split by phase (ramp, steady, drain). */
  readonly phases?: number[];
}

export interface GaugeSeries {
  readonly name: string;
  readonly tags: Tags;
  last: number;
  min: number;
  max: number;
  /** `last` when `markEnd()` was called (undefined before, or if the gauge was unset then). */
  atEnd?: number;
}

export interface RateSeries {
  readonly name: string;
  readonly tags: Tags;
  passes: number;
  total: number;
}

/** One second of the run (t = whole seconds since the recorder's start). */
export interface TimeSeriesPoint {
  t: number;
  requests: number;
  errors: number;
  /** Last `agents_connected` value at the end of that second (carried forward). */
  connected: number;
  /** p99 of `request` samples recorded in that second, ms; null when there were none. */
  p99Ms: number | null;
  /** Coordinator updates delivered in that second. */
  delivered: number;
  /** p99 of the agents' own `request` samples (agent-side endpoints only, see
   * `isAgentEndpoint`) in that second, ms; null when there were none. */
  agentP99Ms: number | null;
  /** Coordinate-socket reconnects (METRIC.agentsReconnects) counted in that second. */
  reconnects: number;
}

/** Errors of one endpoint × class (the tags of METRIC.error). */
export interface ErrorCount {
  endpoint: string;
  class: string;
  count: number;
}

/** Cheap progress figures for the live line (about once a second). */
export interface LiveSnapshot {
  elapsedMs: number;
  agentsConnected: number;
  agentsPlanned: number;
  peersConnected: number;
  /** Requests recorded in the last full second. */
  requestsPerSecond: number;
  totalRequests: number;
  totalErrors: number;
}

/**
 * A recorder as plain JSON (no Maps, no typed arrays): safe for postMessage, files and IPC.
 * Histograms are HdrHistogram V2 compressed base64.
 */
export interface EncodedRecorder {
  format: 'fleetsim-recorder';
  version: 1;
  /** Epoch ms of second 0 of the time series. */
  startedAtMs: number;
  /** Set when `markEnd()` was called: ms after `startedAtMs`. */
  endElapsedMs?: number;
  /* Phases were added later: optional, so an older encoding still merges (the merged recorder
   * then has no phase split: `phased()` is false). */
  /** Present when the encoding carries per-phase figures. */
  phased?: true;
  /** Set when `markSteady()` was called: ms after `startedAtMs`. */
  steadyElapsedMs?: number;
  trends: {
    name: string;
    tags: Record<string, string>;
    count: number;
    sumUs: number;
    minUs: number;
    maxUs: number;
    histogram: string;
    /** `request` series: the figures per phase (index as PHASES), null for a phase without samples. */
    phases?: (EncodedPhaseTrend | null)[];
  }[];
  counters: { name: string; tags: Record<string, string>; value: number /** `error` series: value per phase. */; phases?: number[] }[];
  gauges: { name: string; tags: Record<string, string>; last: number; min: number; max: number; atEnd?: number }[];
  rates: { name: string; tags: Record<string, string>; passes: number; total: number }[];
  seconds: EncodedSeconds;
}

/** Per-second arrays, index = second. `connected` is null where it was not set in that second. */
export interface EncodedSeconds {
  requests: number[];
  errors: number[];
  delivered: number[];
  connected: (number | null)[];
  /** Encoded per-second `request` histograms (2 significant digits), null for empty seconds. */
  latency: (string | null)[];
  /* The fields below were added for recovery metrics; they are optional so that an encoding
   * written before them still merges (its seconds then simply lack these figures). */
  /** Like `latency`, for agent-side endpoints only. */
  agentLatency?: (string | null)[];
  /** Coordinate-socket reconnects per second. */
  reconnects?: number[];
  /** METRIC.error per second by endpoint × class. */
  errorsBy?: EncodedSecondErrors;
  /** Per-second `request` histograms of each endpoint (their samples are also in `latency`). */
  endpointLatency?: Record<string, { agent: boolean; latency: (string | null)[] }>;
}

/** Per-second errors: `counts[second][i]` errors of `kinds[i]` (missing entries are 0). */
export interface EncodedSecondErrors {
  kinds: { endpoint: string; class: string }[];
  counts: (number[] | null)[];
}

/**
 * The MetricSink implementation that keeps everything a summary needs.
 *
 * Merge semantics (`merge`): histograms, counters, rates and the per-second request/error/
 * delivered counts add exactly, so percentiles and counts equal those of one recorder that saw
 * every sample. Gauges are treated as owned by disjoint shards (each shard counts its own
 * agents): `last`, `min` and `max` add up. The summed `max` is therefore an upper bound of the
 * true peak when shards peaked at different moments; it is exact on a plateau.
 */
export interface Recorder extends MetricSink {
  /** Epoch ms of second 0. */
  readonly startedAtMs: number;
  /** Milliseconds since `startedAtMs` by the injected clock. */
  elapsedMs(): number;
  snapshot(): LiveSnapshot;
  /**
   * Marks the end of the measured run: call it when the stop signal fires, before workloads
   * tear down their sockets. The summary then reports gauges (agents connected "at the end") as
   * they were at this moment, not after teardown, and cuts the time series here. Only the first
   * call counts; samples recorded afterwards are still kept.
   */
  markEnd(): void;
  /** ms after `startedAtMs` at which `markEnd()` was called, or undefined. */
  endElapsedMs(): number | undefined;
  /**
   * Marks the end of the ramp (the runner calls it once every planned agent finished its start-up
   * sequence): `request` and `error` samples recorded from now until `markEnd()` count in the
   * `steady` phase, those before in `ramp`, those after `markEnd()` in `drain`. Only the first
   * call counts; a call after `markEnd()` is ignored (the run never reached steady).
   */
  markSteady(): void;
  /** ms after `startedAtMs` at which the ramp ended (the latest shard's after a merge), or undefined. */
  steadyElapsedMs(): number | undefined;
  /** False when an encoding without per-phase figures (an older shard file) was merged in. */
  phased(): boolean;
  encode(): EncodedRecorder;
  merge(encoded: EncodedRecorder): void;

  /** Histogram of one exact series (tags must match exactly), or undefined. Values in µs. */
  histogram(name: string, tags?: Tags): Histogram | undefined;
  /** Value of one exact counter series (0 when absent). */
  counter(name: string, tags?: Tags): number;
  /** Sum of a counter over all its tag sets. */
  counterTotal(name: string): number;
  /** One exact gauge series, or undefined. */
  gaugeValue(name: string, tags?: Tags): { last: number; min: number; max: number; atEnd?: number } | undefined;
  /** One exact rate series, or undefined. */
  rateValue(name: string, tags?: Tags): { passes: number; total: number } | undefined;

  /** Every series of a kind, optionally only those of one metric name (insertion order). */
  trendSeries(name?: string): readonly TrendSeries[];
  counterSeries(name?: string): readonly CounterSeries[];
  gaugeSeries(name?: string): readonly GaugeSeries[];
  rateSeries(name?: string): readonly RateSeries[];

  /** Seconds 0 .. the current second (inclusive, the last one may be partial). */
  timeSeries(): TimeSeriesPoint[];
  /** METRIC.error by endpoint × class for every second of `timeSeries()` (same length and
   * index; an empty array for a second without errors), most frequent first. */
  errorsBySecond(): ErrorCount[][];
  /** p50 and p99 of `request` per endpoint for every second of `timeSeries()`, ms. */
  endpointsBySecond(): Map<string, { p50Ms: (number | null)[]; p99Ms: (number | null)[] }>;
}
