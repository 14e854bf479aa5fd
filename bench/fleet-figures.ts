/**
 * The pure arithmetic behind bench:fleet's summary line (unit-tested in test/bench/): per-agent
 * memory and rates from a phase's raw figures, start-up latency percentiles from HDR histograms
 * (the same layout fleetsim's recorder uses, src/metrics/hdr.ts) and the ratios between them.
 */
import { addEncoded, newHistogram } from '../src/metrics/hdr.js';
import { ENDPOINT } from '../src/metrics/names.js';

/**
 * The requests a v1 agent makes on its way up (docs/protocol.md §9.2): version, metadata, the
 * lifecycle reports (`starting`, then `ready`), the first stats report, app health, and the
 * coordinate socket's handshake. bench:fleet's fleet and bare start-up phases both record them.
 */
export const STARTUP_ENDPOINTS: readonly string[] = [
  ENDPOINT.version,
  ENDPOINT.metadata,
  ENDPOINT.reportLifecycle,
  ENDPOINT.reportStats,
  ENDPOINT.appHealth,
  ENDPOINT.agentCoordinate,
];

/** p50 / p99 (ms, µs precision) over `count` samples; null percentiles when there were none. */
export interface LatencyFigures {
  count: number;
  p50: number | null;
  p99: number | null;
}

/** Rounds to `digits` decimals (figures in the JSON line). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** KB of RSS growth per connected agent (0 agents counts as 1, so it never divides by 0). */
export function perAgentKb(beforeKb: number, afterKb: number, connected: number): number {
  return round((afterKb - beforeKb) / Math.max(1, connected));
}

/** Agents (or sockets) per second over `ms`. */
export function perSecond(connected: number, ms: number): number {
  return Math.round((connected / Math.max(1, ms)) * 1000);
}

/** `a ÷ b` to two decimals, or null when either is missing or `b` is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  return round(a / b);
}

/**
 * p50 and p99 of every sample of the given endpoints together, from encoded HDR histograms
 * keyed by endpoint (µs values, as the recorder keeps them). Endpoints not in `only` are ignored.
 */
export function combinedLatency(encodedByEndpoint: Readonly<Record<string, string>>, only: readonly string[] = STARTUP_ENDPOINTS): LatencyFigures {
  const histogram = newHistogram();
  try {
    for (const endpoint of only) {
      const encoded = encodedByEndpoint[endpoint];
      if (encoded) addEncoded(histogram, encoded);
    }
    const count = histogram.totalCount;
    if (count === 0) return { count: 0, p50: null, p99: null };
    return { count, p50: histogram.getValueAtPercentile(50) / 1000, p99: histogram.getValueAtPercentile(99) / 1000 };
  } finally {
    histogram.destroy();
  }
}

/** Per endpoint figures (for stderr), same rules as {@link combinedLatency}. */
export function latencyByEndpoint(encodedByEndpoint: Readonly<Record<string, string>>): Record<string, LatencyFigures> {
  const out: Record<string, LatencyFigures> = {};
  for (const endpoint of Object.keys(encodedByEndpoint).sort()) out[endpoint] = combinedLatency(encodedByEndpoint, [endpoint]);
  return out;
}

/**
 * `startup_latency_ratio`: fleetsim's start-up p50 and p99 ÷ the bare client's (lower is better;
 * 1.0 = fleetsim adds nothing to what the target's answers take).
 */
export function startupLatencyRatio(fleet: LatencyFigures, bare: LatencyFigures): { p50: number | null; p99: number | null } {
  return { p50: ratio(fleet.p50, bare.p50), p99: ratio(fleet.p99, bare.p99) };
}
