import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder, type Recorder } from '../../src/metrics/recorder.js';
import { manualClock } from '../helpers/clock.js';

const STATS = { endpoint: ENDPOINT.reportStats };
const p = (r: Recorder, name: string, pct: number, tags?: Record<string, string>) => r.histogram(name, tags)!.getValueAtPercentile(pct);

describe('recorder', () => {
  it('computes percentiles from known samples (µs resolution, exact min/max/mean)', () => {
    const r = createRecorder({ clock: manualClock() });
    for (let i = 1; i <= 1000; i++) r.trend(METRIC.request, i, STATS); // 1..1000 ms
    const h = r.histogram(METRIC.request, STATS)!;
    expect(h.totalCount).toBe(1000);
    // 3 significant digits: within 0.1 %.
    expect(h.getValueAtPercentile(50) / 1000).toBeCloseTo(500, -0.3);
    expect(Math.abs(h.getValueAtPercentile(99) / 1000 - 990)).toBeLessThanOrEqual(1);
    const s = r.trendSeries(METRIC.request)[0]!;
    expect(s.minUs).toBe(1000);
    expect(s.maxUs).toBe(1_000_000);
    expect(s.sumUs / s.count / 1000).toBe(500.5);
  });

  it('keeps sub-millisecond samples (0.25 ms is 250 µs, not 0)', () => {
    const r = createRecorder({ clock: manualClock() });
    for (let i = 0; i < 10; i++) r.trend(METRIC.request, 0.25, STATS);
    expect(p(r, METRIC.request, 50, STATS)).toBe(250);
    expect(p(r, METRIC.request, 100, STATS)).toBe(250);
  });

  it('treats tag order as irrelevant and never throws on odd input', () => {
    const r = createRecorder({ clock: manualClock() });
    r.count('x', 1, { a: '1', b: '2' });
    r.count('x', 2, { b: '2', a: '1' });
    expect(r.counter('x', { a: '1', b: '2' })).toBe(3);
    expect(() => {
      r.trend('t', Number.NaN);
      r.trend('t', -5);
      r.trend('t', 1e12); // beyond one hour: clamped
      r.count('c', Number.POSITIVE_INFINITY);
      r.gauge('g', Number.NaN);
    }).not.toThrow();
    expect(r.histogram('t')!.totalCount).toBe(2);
    expect(r.counter('c')).toBe(0);
  });

  it('keeps counters, gauges (last/min/max) and rates', () => {
    const r = createRecorder({ clock: manualClock() });
    r.count(METRIC.error, 2, { endpoint: 'GET /{id}', class: 'http_500' });
    r.count(METRIC.error, 3, { endpoint: 'GET /me/metadata', class: 'timeout' });
    expect(r.counterTotal(METRIC.error)).toBe(5);
    for (const v of [3, 7, 1, 4]) r.gauge(METRIC.agentsConnected, v);
    expect(r.gaugeValue(METRIC.agentsConnected)).toEqual({ last: 4, min: 1, max: 7 });
    r.rate('ok', true);
    r.rate('ok', false);
    r.rate('ok', true);
    expect(r.rateValue('ok')).toEqual({ passes: 2, total: 3 });
  });

  it('buckets the time series per second with an injected clock', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    r.gauge(METRIC.agentsConnected, 2);
    for (let i = 0; i < 5; i++) r.trend(METRIC.request, 10, STATS);
    r.count(METRIC.error, 1, { endpoint: ENDPOINT.reportStats, class: 'http_500' });
    clock.set(1500);
    for (let i = 0; i < 3; i++) r.trend(METRIC.request, 100, STATS);
    r.count(METRIC.coordUpdatesDelivered, 4, { direction: 'agent_to_peer' });
    clock.set(3200);
    r.gauge(METRIC.agentsConnected, 5);
    r.trend(METRIC.request, 0.5, STATS);
    const ts = r.timeSeries();
    expect(ts.map((x) => x.t)).toEqual([0, 1, 2, 3]);
    expect(ts.map((x) => x.requests)).toEqual([5, 3, 0, 1]);
    expect(ts.map((x) => x.errors)).toEqual([1, 0, 0, 0]);
    expect(ts.map((x) => x.delivered)).toEqual([0, 4, 0, 0]);
    expect(ts.map((x) => x.connected)).toEqual([2, 2, 2, 5]);
    expect(ts[0]!.p99Ms).toBeCloseTo(10, 1);
    expect(ts[1]!.p99Ms).toBeCloseTo(100, 0);
    expect(ts[2]!.p99Ms).toBeNull();
    expect(ts[3]!.p99Ms).toBeCloseTo(0.5, 2); // 2 significant digits per second
  });

  it('gives a cheap live snapshot', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    r.gauge(METRIC.agentsPlanned, 50);
    r.gauge(METRIC.agentsConnected, 48);
    r.gauge(METRIC.peersConnected, 3);
    for (let i = 0; i < 7; i++) r.trend(METRIC.request, 1, STATS);
    clock.set(1200);
    r.trend(METRIC.request, 1, STATS);
    r.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'timeout' });
    expect(r.snapshot()).toEqual({
      elapsedMs: 1200,
      agentsConnected: 48,
      agentsPlanned: 50,
      peersConnected: 3,
      requestsPerSecond: 7,
      totalRequests: 8,
      totalErrors: 2,
    });
  });

  it('merging shards equals recording everything into one recorder', () => {
    const clockAll = manualClock();
    const clockA = manualClock();
    const clockB = manualClock();
    const all = createRecorder({ clock: clockAll });
    const a = createRecorder({ clock: clockA });
    const b = createRecorder({ clock: clockB, startedAtMs: a.startedAtMs });
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const times = Array.from({ length: 5000 }, () => Math.floor(rnd() * 4000)).sort((x, y) => x - y);
    for (let i = 0; i < 5000; i++) {
      const t = times[i]!;
      const ms = rnd() < 0.01 ? 200 + rnd() * 3000 : rnd() * 20;
      const endpoint = rnd() < 0.5 ? ENDPOINT.reportStats : ENDPOINT.appHealth;
      const shard = i % 2 === 0 ? a : b;
      const shardClock = i % 2 === 0 ? clockA : clockB;
      for (const [rec, clk] of [
        [all, clockAll],
        [shard, shardClock],
      ] as const) {
        clk.set(t);
        rec.trend(METRIC.request, ms, { endpoint });
        if (ms > 100) rec.count(METRIC.error, 1, { endpoint, class: 'timeout' });
        rec.rate('ok', ms < 100);
      }
    }
    const merged = createRecorder({ clock: manualClock(), startedAtMs: a.startedAtMs });
    merged.merge(JSON.parse(JSON.stringify(a.encode())));
    merged.merge(JSON.parse(JSON.stringify(b.encode())));
    for (const endpoint of [ENDPOINT.reportStats, ENDPOINT.appHealth]) {
      const h1 = all.histogram(METRIC.request, { endpoint })!;
      const h2 = merged.histogram(METRIC.request, { endpoint })!;
      expect(h2.totalCount).toBe(h1.totalCount);
      for (const pct of [0, 50, 90, 95, 99, 99.9, 100]) expect(h2.getValueAtPercentile(pct)).toBe(h1.getValueAtPercentile(pct));
      const s1 = all.trendSeries(METRIC.request).find((s) => s.tags.endpoint === endpoint)!;
      const s2 = merged.trendSeries(METRIC.request).find((s) => s.tags.endpoint === endpoint)!;
      expect([s2.count, s2.sumUs, s2.minUs, s2.maxUs]).toEqual([s1.count, s1.sumUs, s1.minUs, s1.maxUs]);
      expect(merged.counter(METRIC.error, { endpoint, class: 'timeout' })).toBe(all.counter(METRIC.error, { endpoint, class: 'timeout' }));
    }
    expect(merged.rateValue('ok')).toEqual(all.rateValue('ok'));
    const tsAll = all.timeSeries();
    const tsMerged = merged.timeSeries();
    expect(tsMerged.map((x) => [x.requests, x.errors, x.p99Ms])).toEqual(tsAll.map((x) => [x.requests, x.errors, x.p99Ms]));
    expect(merged.snapshot().totalRequests).toBe(5000);
  });

  it('sums connected gauges of disjoint shards, per second and at the end', () => {
    const ca = manualClock();
    const cb = manualClock();
    const a = createRecorder({ clock: ca });
    const b = createRecorder({ clock: cb, startedAtMs: a.startedAtMs });
    a.gauge(METRIC.agentsConnected, 3);
    cb.set(1000);
    b.gauge(METRIC.agentsConnected, 4);
    ca.set(2000);
    a.gauge(METRIC.agentsConnected, 1);
    const m = createRecorder({ clock: manualClock(), startedAtMs: a.startedAtMs });
    m.merge(a.encode());
    m.merge(b.encode());
    expect(m.timeSeries().map((x) => x.connected)).toEqual([3, 7, 5]);
    expect(m.gaugeValue(METRIC.agentsConnected)!.last).toBe(5);
    expect(m.snapshot().agentsConnected).toBe(5);
  });

  it('aligns shards that started at different moments by their epoch start', () => {
    const main = createRecorder({ clock: manualClock({ wallStartMs: 1_800_000_000_000 }) });
    const late = createRecorder({ clock: manualClock({ wallStartMs: 1_800_000_002_000 }) }); // started 2 s later
    late.trend(METRIC.request, 5, STATS);
    late.gauge(METRIC.agentsConnected, 3);
    const early = createRecorder({ clock: manualClock({ wallStartMs: 1_799_999_999_000 }) }); // 1 s earlier
    early.trend(METRIC.request, 7, STATS); // its second 0 is before our start: lands in second 0
    main.merge(late.encode());
    main.merge(early.encode());
    const ts = main.timeSeries();
    expect(ts.slice(0, 3).map((x) => [x.requests, x.connected])).toEqual([
      [1, 0],
      [0, 0],
      [1, 3],
    ]);
  });

  it('rejects a foreign encoding with a clear message', () => {
    const r = createRecorder({ clock: manualClock() });
    expect(() => r.merge({} as never)).toThrow(/not a fleetsim recorder encoding/);
  });
});
