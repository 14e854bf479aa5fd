import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { REQUEST_BUCKETS_MS } from '../../src/observe/prom-catalog.js';
import { createPromFeed } from '../../src/observe/prom-feed.js';
import { createRunRegistry } from '../../src/observe/prom-registry.js';
import { teeSink } from '../../src/metrics/tee-sink.js';
import { manualClock } from '../helpers/clock.js';
import { checkHistograms, parseExposition, sampleValue } from './exposition.js';

const STATS = { endpoint: ENDPOINT.reportStats };

async function scrape(feed = createPromFeed(), extra: Parameters<typeof createRunRegistry>[0] extends infer S ? Partial<S> : never = {}) {
  const registry = createRunRegistry({ feed, ...extra });
  const text = await registry.metrics();
  return { text, families: parseExposition(text) };
}

describe('Prometheus feed', () => {
  it('exposes request histograms in seconds with cumulative, le-inclusive buckets', async () => {
    const feed = createPromFeed();
    // 1 ms sits exactly on an edge: `le` means less than or equal.
    for (const ms of [0.2, 1, 1, 3, 40_000]) feed.trend(METRIC.request, ms, STATS);
    const { families } = await scrape(feed);
    expect(checkHistograms(families)).toBe(1);
    const bucket = (le: string) => sampleValue(families, 'fleetsim_request_duration_seconds_bucket', { ...STATS, le });
    expect(bucket('0.0005')).toBe(1);
    expect(bucket('0.001')).toBe(3);
    expect(bucket('0.0025')).toBe(3);
    expect(bucket('0.005')).toBe(4);
    expect(bucket('30')).toBe(4);
    expect(bucket('+Inf')).toBe(5);
    expect(sampleValue(families, 'fleetsim_request_duration_seconds_count', STATS)).toBe(5);
    expect(sampleValue(families, 'fleetsim_request_duration_seconds_sum', STATS)).toBeCloseTo((0.2 + 1 + 1 + 3 + 40_000) / 1000, 9);
    expect(sampleValue(families, 'fleetsim_requests_total', STATS)).toBe(5);
    const edges = families
      .get('fleetsim_request_duration_seconds')!
      .samples.filter((s) => s.name.endsWith('_bucket'))
      .map((s) => s.labels.le);
    expect(edges).toEqual([...REQUEST_BUCKETS_MS.map((ms) => String(ms / 1000)), '+Inf']);
  });

  it('exposes the queued/service split of each request as two more histograms per endpoint', async () => {
    const feed = createPromFeed();
    // As client/http.ts records one request: the headline, then its two halves.
    for (const [queued, service] of [
      [0.1, 0.8],
      [0.2, 2],
      [30, 4],
    ] as const) {
      feed.trend(METRIC.request, queued + service, STATS);
      feed.trend(METRIC.requestQueued, queued, STATS);
      feed.trend(METRIC.requestService, service, STATS);
    }
    const { families } = await scrape(feed);
    expect(checkHistograms(families)).toBe(3);
    const queued = (le: string) => sampleValue(families, 'fleetsim_request_queued_seconds_bucket', { ...STATS, le });
    const service = (le: string) => sampleValue(families, 'fleetsim_request_service_seconds_bucket', { ...STATS, le });
    expect([queued('0.0005'), queued('0.025'), queued('0.05'), queued('+Inf')]).toEqual([2, 2, 3, 3]);
    expect([service('0.001'), service('0.0025'), service('0.005'), service('+Inf')]).toEqual([1, 2, 3, 3]);
    expect(sampleValue(families, 'fleetsim_request_queued_seconds_sum', STATS)).toBeCloseTo(30.3 / 1000, 9);
    expect(sampleValue(families, 'fleetsim_request_service_seconds_count', STATS)).toBe(3);
    // The split is not counted as more requests.
    expect(sampleValue(families, 'fleetsim_requests_total', STATS)).toBe(3);
  });

  it('counts errors by endpoint and class, sums gauges over tag sets, ignores unknown names', async () => {
    const feed = createPromFeed();
    feed.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'http_500' });
    feed.count(METRIC.error, 1, { class: 'timeout', endpoint: ENDPOINT.reportStats });
    feed.count(METRIC.error, 1, { endpoint: ENDPOINT.reportStats, class: 'http_500' });
    feed.count(METRIC.agentsAuthenticated, 1);
    feed.count(METRIC.agentsAuthenticated, 1);
    feed.count(METRIC.coordLost, 0, { direction: 'agent_to_peer' });
    feed.count(METRIC.agentsReconnects, -5); // never makes a counter go down
    feed.gauge(METRIC.agentsConnected, 10, { fleet: 'v1' });
    feed.gauge(METRIC.agentsConnected, 7, { fleet: 'v2' });
    feed.gauge(METRIC.agentsConnected, 8, { fleet: 'v1' });
    feed.gauge(METRIC.rateLimitRemaining, 42, { endpoint: ENDPOINT.agent });
    feed.count('some_future_metric', 3);
    feed.trend('some_future_trend', 3);
    feed.rate('some_rate', true);
    const { families, text } = await scrape(feed);
    expect(sampleValue(families, 'fleetsim_request_errors_total', { endpoint: ENDPOINT.reportStats, class: 'http_500' })).toBe(3);
    expect(sampleValue(families, 'fleetsim_request_errors_total', { endpoint: ENDPOINT.reportStats, class: 'timeout' })).toBe(1);
    expect(sampleValue(families, 'fleetsim_agents_authenticated_total')).toBe(2);
    expect(sampleValue(families, 'fleetsim_coordinator_updates_lost_total', { direction: 'agent_to_peer' })).toBe(0);
    expect(sampleValue(families, 'fleetsim_coordinate_reconnects_total')).toBe(0);
    expect(sampleValue(families, 'fleetsim_agents_connected')).toBe(15);
    expect(sampleValue(families, 'fleetsim_rate_limit_remaining', { endpoint: ENDPOINT.agent })).toBe(42);
    expect(text).not.toContain('future');
    for (const family of families.values()) {
      expect(family.name).toMatch(/^fleetsim_/);
      if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
      if (family.type === 'histogram') expect(family.name).toMatch(/_seconds$/);
    }
  });

  it('escapes label values and exposes run info and elapsed time', async () => {
    const feed = createPromFeed();
    feed.trend(METRIC.request, 1, { endpoint: 'GET /odd "quoted" \\ path' });
    const { families } = await scrape(feed, {
      run: { scenario: 'smoke', runId: 'r-1', target: 'embedded', version: '0.1.0' },
      elapsedSeconds: () => 12.5,
    });
    expect(sampleValue(families, 'fleetsim_requests_total', { endpoint: 'GET /odd "quoted" \\ path' })).toBe(1);
    expect(sampleValue(families, 'fleetsim_run_info', { scenario: 'smoke', run_id: 'r-1', target: 'embedded' })).toBe(1);
    expect(sampleValue(families, 'fleetsim_run_elapsed_seconds')).toBe(12.5);
  });

  it('a tee gives the recorder and the feed the same samples', async () => {
    const recorder = createRecorder({ clock: manualClock() });
    const feed = createPromFeed();
    const sink = teeSink(recorder, feed);
    for (let i = 0; i < 50; i++) sink.trend(METRIC.request, i * 3, STATS);
    sink.count(METRIC.error, 4, { endpoint: ENDPOINT.reportStats, class: 'reset' });
    sink.gauge(METRIC.agentsConnected, 9);
    sink.rate('ok', true);
    const { families } = await scrape(feed);
    expect(sampleValue(families, 'fleetsim_requests_total', STATS)).toBe(recorder.histogram(METRIC.request, STATS)!.totalCount);
    expect(sampleValue(families, 'fleetsim_request_errors_total', { endpoint: ENDPOINT.reportStats, class: 'reset' })).toBe(
      recorder.counterTotal(METRIC.error),
    );
    expect(sampleValue(families, 'fleetsim_agents_connected')).toBe(recorder.gaugeValue(METRIC.agentsConnected)!.last);
    expect(recorder.rateValue('ok')).toEqual({ passes: 1, total: 1 });
  });
});
