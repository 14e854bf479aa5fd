/**
 * The summary's view of where request time went (src/metrics/request-timing.ts records it):
 * each endpoint's `queued`, `service` and, for WebSocket dials, `connect`; which endpoints
 * spent more of their tail inside fleetsim than at the target; and the fleet's REST
 * connection model as the run used it.
 */
import { METRIC } from './names.js';
import type { Recorder, TrendSeries } from './recorder-types.js';
import type { EndpointStats, HttpModelSummary, LatencyStats, TimingStats } from './summary-types.js';

/**
 * Below this the queued p99 of an endpoint is never called dominant: a fraction of a
 * millisecond is one event-loop turn between a timer and the write, not a queue worth acting on.
 */
export const QUEUED_FLOOR_MS = 1;

type Stats = (series: readonly TrendSeries[]) => LatencyStats;

function brief(series: readonly TrendSeries[], stats: Stats): TimingStats | undefined {
  if (series.length === 0) return undefined;
  const s = stats(series);
  if (s.count === 0) return undefined;
  return { count: s.count, p50: s.p50, p99: s.p99, max: s.max };
}

/** Groups a timing trend's series by endpoint tag. */
function byEndpoint(recorder: Recorder, name: string): Map<string, TrendSeries[]> {
  const out = new Map<string, TrendSeries[]>();
  for (const s of recorder.trendSeries(name)) {
    const key = s.tags.endpoint ?? '(untagged)';
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/** The `queued` / `service` / `connect` fields of every endpoint that recorded them. */
export function endpointTimings(recorder: Recorder, stats: Stats): Map<string, Pick<EndpointStats, 'queued' | 'service' | 'connect'>> {
  const queued = byEndpoint(recorder, METRIC.requestQueued);
  const service = byEndpoint(recorder, METRIC.requestService);
  const connect = byEndpoint(recorder, METRIC.requestConnect);
  const out = new Map<string, Pick<EndpointStats, 'queued' | 'service' | 'connect'>>();
  for (const endpoint of new Set([...queued.keys(), ...service.keys()])) {
    const q = brief(queued.get(endpoint) ?? [], stats);
    const s = brief(service.get(endpoint) ?? [], stats);
    const c = brief(connect.get(endpoint) ?? [], stats);
    out.set(endpoint, { ...(q ? { queued: q } : {}), ...(s ? { service: s } : {}), ...(c ? { connect: c } : {}) });
  }
  return out;
}

/** True when the endpoint's queued p99 is above its service p99 (and at least {@link QUEUED_FLOOR_MS}). */
export function queuedDominates(e: Pick<EndpointStats, 'queued' | 'service'>): boolean {
  const q = e.queued?.p99;
  const s = e.service?.p99;
  return q != null && s != null && q >= QUEUED_FLOOR_MS && q > s;
}

/** Endpoints, sorted, whose time queued inside fleetsim outweighs the target's at p99. */
export function queuedOverService(endpoints: Readonly<Record<string, Pick<EndpointStats, 'queued' | 'service'>>>): string[] {
  return Object.keys(endpoints)
    .filter((name) => queuedDominates(endpoints[name]!))
    .sort();
}

/** The REST connection model the fleet used (METRIC.httpModel), when one was recorded. */
export function httpModelSummary(recorder: Recorder): HttpModelSummary | undefined {
  const series = recorder.gaugeSeries(METRIC.httpModel);
  if (series.length === 0) return undefined;
  // Shards of one run choose alike; a mix (different limits per host) reports the fallback.
  const pick = series.find((s) => s.tags.chosen === 'fd-budget') ?? series[0]!;
  const model = pick.tags.model === 'per-agent' ? 'per-agent' : 'shared';
  const chosen = pick.tags.chosen === 'fd-budget' || pick.tags.chosen === 'default' ? pick.tags.chosen : 'scenario';
  const limit = Number(pick.tags.openFilesLimit);
  return { model, chosen, ...(Number.isSafeInteger(limit) && limit > 0 ? { openFilesLimit: limit } : {}) };
}
