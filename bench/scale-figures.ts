/**
 * bench:scale's agreement check: the merged report's counts of what the agents did, against the
 * sum of what the embedded servers themselves counted (each worker's `server-counters.json`,
 * src/runner/server-counters-file.ts). Pure, so it is unit-tested (test/bench/scale-figures.test.ts).
 *
 * Report side: for version, metadata and the coordinate socket, the endpoint's samples minus
 * its errors (answered with success / opened); for stats, lifecycle and app health the counters
 * of accepted reports. With no agent errors every row must be equal.
 */
import type { ServerCounters } from '../src/server/counters.js';
import { ENDPOINT, METRIC } from '../src/metrics/names.js';
import type { RunSummary } from '../src/metrics/summary-types.js';

export type ServerTotals = ServerCounters['totals'];

export interface CountRow {
  what: string;
  report: number;
  server: number;
  equal: boolean;
}

/** Adds servers' totals field by field (only the numeric top-level fields the check reads). */
export function sumTotals(
  list: readonly ServerTotals[],
): Pick<ServerTotals, 'versionPosts' | 'metadataGets' | 'reportStats' | 'lifecycleStates' | 'appHealth' | 'coordinateOpened'> {
  const sum = { versionPosts: 0, metadataGets: 0, reportStats: 0, lifecycleStates: 0, appHealth: 0, coordinateOpened: 0 };
  for (const t of list) for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += t[key];
  return sum;
}

type SummaryPart = Pick<RunSummary, 'endpoints' | 'metrics'>;

function answered(summary: SummaryPart, endpoint: string): number {
  const e = summary.endpoints[endpoint];
  return e ? e.count - e.errors : 0;
}

function counter(summary: SummaryPart, name: string): number {
  return summary.metrics.counters.filter((c) => c.name === name).reduce((n, c) => n + c.value, 0);
}

/** One row per count the report and the servers both keep (v1 agents). */
export function compareCounts(summary: SummaryPart, servers: readonly ServerTotals[]): CountRow[] {
  const s = sumTotals(servers);
  const rows: [string, number, number][] = [
    [ENDPOINT.version, answered(summary, ENDPOINT.version), s.versionPosts],
    [ENDPOINT.metadata, answered(summary, ENDPOINT.metadata), s.metadataGets],
    [ENDPOINT.reportLifecycle, counter(summary, METRIC.lifecycleReported), s.lifecycleStates],
    [ENDPOINT.reportStats, counter(summary, METRIC.statsReported), s.reportStats],
    [ENDPOINT.appHealth, counter(summary, METRIC.appHealthReported), s.appHealth],
    [ENDPOINT.agentCoordinate, answered(summary, ENDPOINT.agentCoordinate), s.coordinateOpened],
  ];
  return rows.map(([what, report, server]) => ({ what, report, server, equal: report === server }));
}

/**
 * Seconds from the run's second 0 until `agents` were connected at once, from the merged
 * report's per-second series (1 s resolution: the second in which the last one connected
 * counts whole); undefined when they never were.
 */
export function rampSeconds(series: readonly { t: number; connected: number }[], agents: number): number | undefined {
  const full = series.find((point) => point.connected >= agents);
  return full ? full.t + 1 : undefined;
}

/** The lowest sample (RSS settles once a ramp's garbage is collected), undefined without samples. */
export function lowest(samples: readonly number[]): number | undefined {
  return samples.length > 0 ? Math.min(...samples) : undefined;
}
