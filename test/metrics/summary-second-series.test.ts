import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import type { EncodedRecorder } from '../../src/metrics/recorder-types.js';
import { buildSummary, PERCENTILE_LADDER } from '../../src/metrics/summary.js';
import { startGeneratorMonitor } from '../../src/observe/generator-monitor.js';
import { fakeProbe } from '../observe/fake-probe.js';
import { manualClock } from '../helpers/clock.js';

const META = {
  scenario: 's',
  seed: '1',
  target: 'embedded',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:03.000Z',
  fleetsimVersion: 't',
  runId: 'r',
};

describe('per-second series in the summary', () => {
  it('keeps p50/p99 per endpoint and errors per class for each second', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    for (let i = 1; i <= 100; i++) r.trend(METRIC.request, i, { endpoint: ENDPOINT.reportStats });
    r.trend(METRIC.request, 400, { endpoint: ENDPOINT.agent });
    r.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'timeout' });
    clock.set(2500);
    r.trend(METRIC.request, 30, { endpoint: ENDPOINT.agent });
    r.count(METRIC.error, 1, { endpoint: ENDPOINT.agent, class: 'timeout' });
    r.count(METRIC.error, 4, { endpoint: ENDPOINT.agent, class: 'http_503' });
    const s = buildSummary(r, { meta: META, agentsPlanned: 0 });
    expect(s.timeSeries).toHaveLength(3);
    const stats = s.timeSeriesEndpoints![ENDPOINT.reportStats]!;
    // 2 significant digits per second: HDR answers a bucket's upper edge.
    expect(stats.p50Ms[0]).toBeCloseTo(50, -0.5);
    expect(stats.p99Ms[0]).toBeCloseTo(99, -0.5);
    expect(stats.p50Ms.slice(1)).toEqual([null, null]);
    const agent = s.timeSeriesEndpoints![ENDPOINT.agent]!;
    expect(agent.p99Ms[0]).toBeCloseTo(400, -1);
    expect(agent.p99Ms[1]).toBeNull();
    expect(agent.p50Ms[2]).toBeCloseTo(30, 0);
    // The all-requests p99 still sees every endpoint's samples exactly once.
    expect(s.timeSeries.map((p) => p.requests)).toEqual([101, 0, 1]);
    expect(s.timeSeries[0]!.p99Ms).toBeCloseTo(99, -0.5);
    expect(s.timeSeriesErrors).toEqual({ http_503: [0, 0, 4], timeout: [2, 0, 1] });
  });

  it('leaves the fields out of a run without requests or errors', () => {
    const s = buildSummary(createRecorder({ clock: manualClock() }), { meta: META, agentsPlanned: 0 });
    expect(s.timeSeriesEndpoints).toBeUndefined();
    expect(s.timeSeriesErrors).toBeUndefined();
  });

  it('merging shards gives the per-endpoint seconds of one recorder', () => {
    const start = 1_800_000_000_000;
    const clocks = [0, 1, 2].map(() => manualClock({ wallStartMs: start }));
    const [all, a, b] = clocks.map((clock) => createRecorder({ clock, startedAtMs: start }));
    for (let i = 0; i < 600; i++) {
      const t = Math.floor((i / 600) * 4000);
      const endpoint = i % 3 === 0 ? ENDPOINT.agent : ENDPOINT.reportStats;
      for (const [rec, clock] of [
        [all!, clocks[0]!],
        [i % 2 ? a! : b!, clocks[i % 2 ? 1 : 2]!],
      ] as const) {
        clock.set(t);
        rec.trend(METRIC.request, 1 + ((i * 37) % 200), { endpoint });
      }
    }
    const merged = createRecorder({ clock: manualClock(), startedAtMs: start });
    merged.merge(JSON.parse(JSON.stringify(a!.encode())) as EncodedRecorder);
    merged.merge(JSON.parse(JSON.stringify(b!.encode())) as EncodedRecorder);
    expect(Object.fromEntries(merged.endpointsBySecond())).toEqual(Object.fromEntries(all!.endpointsBySecond()));
    expect(merged.timeSeries().map((p) => [p.p99Ms, p.agentP99Ms])).toEqual(all!.timeSeries().map((p) => [p.p99Ms, p.agentP99Ms]));
  });

  it('describes the coordinator propagation distribution as latency by percentile', () => {
    const r = createRecorder({ clock: manualClock() });
    for (let i = 1; i <= 1000; i++) r.trend(METRIC.coordPropagation, i / 10, { direction: 'agent_to_peer' });
    r.trend(METRIC.coordPropagation, 900, { direction: 'peer_to_agent' });
    const c = buildSummary(r, { meta: META, agentsPlanned: 0 }).coordinator!;
    expect(c.propagationLadder!.map((x) => x.p)).toEqual([...PERCENTILE_LADDER]);
    expect(c.propagationLadder![0]!.ms).toBe(0.1);
    expect(c.propagationLadder!.at(-1)!.ms).toBe(900);
    expect(c.byDirection.agent_to_peer!.propagationLadder!.find((x) => x.p === 50)!.ms).toBeCloseTo(50, 0);
    const ms = c.propagationLadder!.map((x) => x.ms);
    expect(ms).toEqual([...ms].sort((x, y) => x - y));
  });
});

describe('generator per-second figures', () => {
  it('keeps every sampled second on the run clock when given one', () => {
    let now = 0.42;
    const monitor = startGeneratorMonitor({
      probe: fakeProbe([{ p99Ms: 3, cpuPercent: 20 }, { p99Ms: 80, cpuPercent: 40 }, { elapsedMs: 0 }]),
      intervalMs: 0,
      runSeconds: () => now,
    });
    now = 1.44;
    monitor.sample();
    now = 2.45;
    monitor.sample();
    const g = monitor.stop();
    expect(g.perSecond).toEqual({ atS: [1.4, 2.5], eventLoopP99Ms: [3, 80], cpuPercent: [20, 40], saturated: [false, true] });
  });

  it('leaves them out without a run clock', () => {
    const monitor = startGeneratorMonitor({ probe: fakeProbe([{}]), intervalMs: 0 });
    monitor.sample();
    expect(monitor.stop().perSecond).toBeUndefined();
  });
});
