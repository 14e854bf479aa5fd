/**
 * Where one request's time went. A `request` sample (the headline: intended start → response,
 * coordinated-omission corrected) splits into
 * - `queued`: intended start → the request's bytes handed to the socket (HTTP), written to its
 *   yamux stream (v2 RPC), or the WebSocket dial started. Time spent inside fleetsim: a dial
 *   slot, a pooled connection, a TCP connect for a connection opened on demand, a late timer;
 * - `service`: handed to the socket → response complete. Time the target (and the network) took.
 * WebSocket dials also record `connect` (TCP connect + upgrade), which is their service.
 *
 * queued + service = headline for every sample that reached the socket; a request that failed
 * before (connection refused, aborted while queued) records the headline only.
 */
import { METRIC } from './names.js';
import type { MetricSink, Tags } from './sink.js';

/** Records the split of one request sample (`tags` as on its `request` sample). */
export function recordRequestTiming(metrics: MetricSink, tags: Tags, queuedMs: number, serviceMs: number): void {
  metrics.trend(METRIC.requestQueued, Math.max(queuedMs, 0), tags);
  metrics.trend(METRIC.requestService, Math.max(serviceMs, 0), tags);
}

/** Records the split of one WebSocket dial: queued (intended → dial start) and connect (= service). */
export function recordDialTiming(metrics: MetricSink, tags: Tags, queuedMs: number, connectMs: number): void {
  recordRequestTiming(metrics, tags, queuedMs, connectMs);
  metrics.trend(METRIC.requestConnect, Math.max(connectMs, 0), tags);
}
