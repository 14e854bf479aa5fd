import { METRIC } from '../metrics/names.js';

/**
 * How fleetsim's sink metrics (src/metrics/names.ts) appear on `/metrics`: one Prometheus family
 * per sink metric, named by Prometheus conventions (`fleetsim_` prefix, base units: seconds and
 * bytes, `_total` on counters). Metrics not listed here still reach the recorder and the report;
 * they are just not exposed live.
 */

/**
 * Buckets of `fleetsim_request_duration_seconds`, in ms (exposed as seconds).
 *
 * Why these edges: against the embedded server on loopback an agent request takes 0.2-2 ms, so
 * the low end needs 0.5/1/2.5 ms to separate a healthy loopback run from a slow one; a real
 * Coder behind a load balancer answers in 5-100 ms; coordinate-socket dials and TLS handshakes
 * under load reach 0.25-2.5 s; request timeouts and reconnect backoff cap samples at 10-30 s.
 * 50 ms is also the harness-saturation limit (src/observe/saturation.ts), so latencies above it
 * on a saturated run are visibly suspect. Roughly ×2-2.5 steps keep the histogram_quantile()
 * error under about a factor 1.5 with 16 buckets per endpoint (cardinality: 16 endpoints × 17
 * series, for the headline and for each half of its queued/service split).
 */
export const REQUEST_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/**
 * Buckets of `fleetsim_coordinator_propagation_seconds` and `..._first_node_seconds`, in ms.
 *
 * A node update crosses the coordinator in well under 1 ms on an idle loopback coordinator,
 * 1-50 ms on a busy one, and a peer's first node can wait for a full node-update interval
 * (seconds); beyond 10 s it is as good as lost (the ledger's drain window counts it lost).
 */
export const PROPAGATION_BUCKETS_MS: readonly number[] = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

export interface TrendFamily {
  kind: 'histogram';
  prom: string;
  help: string;
  labels: readonly string[];
  bucketsMs: readonly number[];
}
export interface CounterFamily {
  kind: 'counter';
  prom: string;
  help: string;
  labels: readonly string[];
}
export interface GaugeFamily {
  kind: 'gauge';
  prom: string;
  help: string;
  labels: readonly string[];
}

/** Sink trends (ms samples) → Prometheus histograms (seconds). */
export const TREND_FAMILIES: Readonly<Record<string, TrendFamily>> = {
  [METRIC.request]: {
    kind: 'histogram',
    prom: 'fleetsim_request_duration_seconds',
    help: 'Latency of agent-API requests and socket opens from their intended start (failed attempts included).',
    labels: ['endpoint'],
    bucketsMs: REQUEST_BUCKETS_MS,
  },
  // The headline's split (src/metrics/request-timing.ts), same endpoints and buckets, so a p99
  // over each (histogram_quantile) lines up with the report's "where the time went" table.
  [METRIC.requestQueued]: {
    kind: 'histogram',
    prom: 'fleetsim_request_queued_seconds',
    help: 'Part of a request spent inside fleetsim: intended start until its bytes were handed to the socket (dial slot, pooled connection, late timer).',
    labels: ['endpoint'],
    bucketsMs: REQUEST_BUCKETS_MS,
  },
  [METRIC.requestService]: {
    kind: 'histogram',
    prom: 'fleetsim_request_service_seconds',
    help: 'Part of a request spent at the target and on the network: handed to the socket until the response was complete.',
    labels: ['endpoint'],
    bucketsMs: REQUEST_BUCKETS_MS,
  },
  [METRIC.coordPropagation]: {
    kind: 'histogram',
    prom: 'fleetsim_coordinator_propagation_seconds',
    help: 'Send-to-receive latency of tagged node updates through the coordinator.',
    labels: ['direction'],
    bucketsMs: PROPAGATION_BUCKETS_MS,
  },
  [METRIC.coordFirstNode]: {
    kind: 'histogram',
    prom: 'fleetsim_coordinator_first_node_seconds',
    help: 'Peer coordinate socket open to the first agent node received.',
    labels: [],
    bucketsMs: PROPAGATION_BUCKETS_MS,
  },
};

/** Sink counters → Prometheus counters. */
export const COUNTER_FAMILIES: Readonly<Record<string, CounterFamily>> = {
  [METRIC.error]: {
    kind: 'counter',
    prom: 'fleetsim_request_errors_total',
    help: 'Failed requests and socket events by endpoint and error class (http_<status>, rate_limited, timeout, reset, refused, ws_close_<code>, protocol, other).',
    labels: ['endpoint', 'class'],
  },
  [METRIC.agentsAuthenticated]: {
    kind: 'counter',
    prom: 'fleetsim_agents_authenticated_total',
    help: 'Agents that obtained a working session token (first time per agent).',
    labels: [],
  },
  [METRIC.agentsReconnects]: {
    kind: 'counter',
    prom: 'fleetsim_coordinate_reconnects_total',
    help: 'Agent coordinate-socket reconnects (an open after a drop).',
    labels: [],
  },
  [METRIC.lifecycleReported]: {
    kind: 'counter',
    prom: 'fleetsim_lifecycle_reports_total',
    help: 'Lifecycle states accepted by the target.',
    labels: ['state'],
  },
  [METRIC.statsReported]: { kind: 'counter', prom: 'fleetsim_stats_reports_total', help: 'report-stats POSTs accepted by the target.', labels: [] },
  [METRIC.appHealthReported]: { kind: 'counter', prom: 'fleetsim_app_health_reports_total', help: 'app-health POSTs accepted by the target.', labels: [] },
  [METRIC.coordUpdatesSent]: { kind: 'counter', prom: 'fleetsim_coordinator_updates_sent_total', help: 'Tagged node updates sent.', labels: ['direction'] },
  [METRIC.coordUpdatesDelivered]: {
    kind: 'counter',
    prom: 'fleetsim_coordinator_updates_delivered_total',
    help: 'Tagged node updates delivered (first arrival per receiver).',
    labels: ['direction'],
  },
  [METRIC.coordLost]: {
    kind: 'counter',
    prom: 'fleetsim_coordinator_updates_lost_total',
    help: 'Tagged node updates never delivered within the drain window.',
    labels: ['direction'],
  },
  [METRIC.coordDuplicated]: {
    kind: 'counter',
    prom: 'fleetsim_coordinator_updates_duplicated_total',
    help: 'Tagged node updates delivered more than once to the same receiver.',
    labels: ['direction'],
  },
  [METRIC.coordOutOfOrder]: {
    kind: 'counter',
    prom: 'fleetsim_coordinator_updates_out_of_order_total',
    help: 'Tagged node updates older than one already seen from the same sender.',
    labels: ['direction'],
  },
};

/** Sink gauges → Prometheus gauges (summed over tag sets, like the recorder's totals). */
export const GAUGE_FAMILIES: Readonly<Record<string, GaugeFamily>> = {
  [METRIC.agentsPlanned]: { kind: 'gauge', prom: 'fleetsim_agents_planned', help: 'Agents the scenario plans at this moment.', labels: [] },
  [METRIC.agentsConnected]: { kind: 'gauge', prom: 'fleetsim_agents_connected', help: 'Agents whose coordinate socket is open now.', labels: [] },
  [METRIC.peersConnected]: { kind: 'gauge', prom: 'fleetsim_peers_connected', help: 'Peers whose coordinate socket is open now.', labels: [] },
  [METRIC.rateLimitLimit]: { kind: 'gauge', prom: 'fleetsim_rate_limit_limit', help: 'Last X-RateLimit-Limit header seen (REST load).', labels: ['endpoint'] },
  [METRIC.rateLimitRemaining]: {
    kind: 'gauge',
    prom: 'fleetsim_rate_limit_remaining',
    help: 'Last X-RateLimit-Remaining header seen (REST load).',
    labels: ['endpoint'],
  },
};

/** Derived from the request histogram's counts at scrape time (no hot-path cost). */
export const REQUESTS_TOTAL = {
  prom: 'fleetsim_requests_total',
  help: 'Requests and socket opens attempted, by endpoint (failed ones included; see fleetsim_request_errors_total).',
} as const;
