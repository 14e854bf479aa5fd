import { describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/clock.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { handFedSummary, META } from './fixtures.js';

describe('buildSummary', () => {
  it('has the versioned shape with meta, agents and totals', () => {
    const s = handFedSummary();
    expect(s.schemaVersion).toBe(1);
    expect(s.outcome).toBe('passed');
    expect(s.meta).toMatchObject({ scenario: 'unit', seed: '42', runId: 'unit-1', durationMs: 10_000 });
    expect(s.plan).toEqual({ peakAgents: 10 });
    expect(s.agents).toEqual({ planned: 10, authenticated: 10, connected: 8, peakConnected: 10, reconnects: 3, peakReconnectsPerSecond: 3 });
    expect(s.totals).toEqual({ requests: 150, errors: 8, errorRate: 8 / 150 });
    expect(s.thresholds).toEqual([]);
  });

  it('reports endpoints by route template with ms latencies and errors', () => {
    const s = handFedSummary();
    expect(Object.keys(s.endpoints)).toEqual([ENDPOINT.metadata, ENDPOINT.reportStats]);
    const stats = s.endpoints[ENDPOINT.reportStats]!;
    expect(stats).toMatchObject({ count: 100, errors: 3, rate: 10, min: 1, max: 100, mean: 50.5 });
    expect(stats.p50).toBeCloseTo(50, 1);
    expect(stats.p99).toBeCloseTo(99, 1);
    expect(stats.p999).toBeCloseTo(100, 1);
    const meta = s.endpoints[ENDPOINT.metadata]!;
    expect(meta).toMatchObject({ count: 50, errors: 5, min: 0.25, p50: 0.25, p99: 0.25, max: 0.25 });
  });

  it('gives the reconnect peak per second and the HTTP connections opened only when recorded', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    expect(buildSummary(r, { meta: META, agentsPlanned: 4 }).agents).toEqual({ planned: 4, authenticated: 0, connected: 0, peakConnected: 0, reconnects: 0 });
    r.count(METRIC.httpConnectionsOpened, 4);
    clock.set(1_200);
    r.count(METRIC.agentsReconnects, 1);
    clock.set(2_100);
    r.count(METRIC.agentsReconnects, 3);
    clock.set(3_000);
    r.count(METRIC.httpConnectionsOpened, 1);
    const agents = buildSummary(r, { meta: META, agentsPlanned: 4 }).agents;
    expect(agents).toMatchObject({ reconnects: 4, peakReconnectsPerSecond: 3, httpConnectionsOpened: 5 });
  });

  it('lists errors by endpoint × class, most frequent first', () => {
    expect(handFedSummary().errors).toEqual([
      { endpoint: ENDPOINT.metadata, class: 'timeout', count: 5 },
      { endpoint: ENDPOINT.reportStats, class: 'http_500', count: 2 },
      { endpoint: ENDPOINT.reportStats, class: 'timeout', count: 1 },
    ]);
  });

  it('keeps the last rate-limit headers seen per endpoint', () => {
    expect(handFedSummary().rateLimit).toEqual({ [ENDPOINT.reportStats]: { limit: 512, remaining: 480, minRemaining: 480 } });
  });

  it('has a per-second time series trimmed to the duration', () => {
    const ts = handFedSummary().timeSeries;
    expect(ts).toHaveLength(10);
    expect(ts.reduce((n, p) => n + p.requests, 0)).toBe(150);
    expect(ts[0]!.connected).toBe(10);
    expect(ts[9]!.connected).toBe(8);
    expect(ts[9]!.requests).toBe(51); // the 100th report-stats sample at 9.0 s + 50 metadata
    expect(ts[5]!.requests).toBe(11);
  });

  it('adds the coordinator section only when coordinator metrics were recorded', () => {
    expect(handFedSummary().coordinator).toBeUndefined();
    const c = handFedSummary({ coordinator: true }).coordinator!;
    expect(c).toMatchObject({ updatesSent: 110, updatesDelivered: 108, deliveredPerSecond: 10.8, lost: 2, duplicated: 1, outOfOrder: 0 });
    expect(c.peersConnected).toEqual({ last: 4, peak: 4 });
    expect(c.propagationMs.count).toBe(108);
    expect(c.propagationMs.max).toBe(9.8);
    expect(c.firstNodeMs).toMatchObject({ count: 4, min: 20, max: 80 });
    expect(c.byDirection.agent_to_peer).toMatchObject({ sent: 100, delivered: 98, lost: 2 });
    expect(c.byDirection.peer_to_agent!.propagationMs.p50).toBe(5);
  });

  it('is plain JSON and carries every series under metrics', () => {
    const s = handFedSummary({ coordinator: true });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.metrics.counters.find((c) => c.name === 'agents_reconnects')!.value).toBe(3);
    expect(s.metrics.trends.some((t) => t.name === 'coord_first_node')).toBe(true);
  });
});

describe('buildSummary edge cases', () => {
  it('handles an empty recorder and an endpoint that only failed', async () => {
    const { createRecorder } = await import('../../src/metrics/recorder.js');
    const { buildSummary } = await import('../../src/metrics/summary.js');
    const { META } = await import('./fixtures.js');
    const empty = buildSummary(createRecorder({ clock: manualClock() }), { meta: META, agentsPlanned: 0 });
    expect(empty).toMatchObject({ endpoints: {}, errors: [], totals: { requests: 0, errors: 0, errorRate: 0 } });
    expect(empty.coordinator).toBeUndefined();
    expect(empty.rateLimit).toBeUndefined();
    expect('plan' in empty).toBe(false);

    const r = createRecorder({ clock: manualClock() });
    r.count('error', 4, { endpoint: ENDPOINT.agentCoordinate, class: 'refused' });
    const s = buildSummary(r, { meta: { ...META, endedAt: 'garbage' }, agentsPlanned: 1, outcome: 'errored' });
    expect(s.outcome).toBe('errored');
    expect(s.meta.durationMs).toBe(0); // unparsable end: falls back to the recorder's elapsed time
    expect(s.endpoints[ENDPOINT.agentCoordinate]).toMatchObject({ count: 0, errors: 4, p99: null, max: null });
    expect(s.totals.errorRate).toBe(1);
  });
});

describe('connected at the end of the run', () => {
  async function fleet() {
    const { createRecorder } = await import('../../src/metrics/recorder.js');
    const clock = manualClock();
    const r = createRecorder({ clock });
    r.gauge('agents_connected', 10);
    r.gauge('peers_connected', 4);
    clock.set(5000);
    r.gauge('agents_connected', 9);
    return { r, clock };
  }
  const teardown = (r: Awaited<ReturnType<typeof fleet>>['r'], clock: Awaited<ReturnType<typeof fleet>>['clock']) => {
    clock.set(10_050);
    for (let n = 8; n >= 0; n--) r.gauge('agents_connected', n);
    r.gauge('peers_connected', 0);
    clock.set(10_400);
  };

  it('reads gauges at markEnd(), before teardown, and cuts the time series there', async () => {
    const { buildSummary } = await import('../../src/metrics/summary.js');
    const { META } = await import('./fixtures.js');
    const { r, clock } = await fleet();
    r.count('coord_updates_sent', 1);
    clock.set(10_003);
    r.markEnd();
    teardown(r, clock);
    const s = buildSummary(r, { meta: { ...META, endedAt: '2026-11-29T12:00:10.400Z' }, agentsPlanned: 10 });
    expect(s.agents).toMatchObject({ connected: 9, peakConnected: 10 });
    expect(s.coordinator!.peersConnected).toEqual({ last: 4, peak: 4 });
    expect(s.timeSeries).toHaveLength(10);
    expect(s.timeSeries.at(-1)!.connected).toBe(9);
    // The end mark survives encode/merge.
    const { createRecorder } = await import('../../src/metrics/recorder.js');
    const merged = createRecorder({ clock: manualClock(), startedAtMs: r.startedAtMs });
    merged.merge(JSON.parse(JSON.stringify(r.encode())));
    expect(merged.endElapsedMs()).toBe(10_003);
    expect(buildSummary(merged, { meta: META, agentsPlanned: 10 }).agents.connected).toBe(9);
  });

  it('falls back to the end of the planned duration without a mark', async () => {
    const { buildSummary } = await import('../../src/metrics/summary.js');
    const { META } = await import('./fixtures.js');
    const { r, clock } = await fleet();
    teardown(r, clock);
    const meta = { ...META, endedAt: '2026-11-29T12:00:10.400Z' };
    expect(buildSummary(r, { meta, agentsPlanned: 10, plan: { durationMs: 10_000 } }).agents.connected).toBe(9);
    expect(buildSummary(r, { meta, agentsPlanned: 10 }).agents.connected).toBe(0);
  });
});
