import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { manualClock } from '../helpers/clock.js';
import { META } from './fixtures.js';
import { phasedRun, STATS } from './phase-fixtures.js';

describe('phases: ramp, steady, drain', () => {
  it('splits the endpoints by phase at the marks of an injected clock', () => {
    const clock = manualClock();
    const s = buildSummary(phasedRun(clock), { meta: META, agentsPlanned: 1 });
    const phases = s.phases!;
    expect([phases.ramp.from, phases.ramp.to, phases.steady.from, phases.steady.to, phases.drain.from, phases.drain.to]).toEqual([
      0, 2_000, 2_000, 8_000, 8_000, 10_000,
    ]);
    expect(phases.ramp.endpoints).toEqual({
      [ENDPOINT.reportStats]: { count: 10, min: 100, mean: 100, p50: 100, p90: 100, p95: 100, p99: 100, p999: 100, max: 100, errors: 1, rate: 5 },
    });
    expect(phases.steady.endpoints[ENDPOINT.reportStats]).toEqual({
      count: 60,
      min: 5,
      mean: 5,
      p50: 5,
      p90: 5,
      p95: 5,
      p99: 5,
      p999: 5,
      max: 5,
      errors: 2,
      rate: 10,
    });
    expect(phases.steady.endpoints[ENDPOINT.metadata]).toMatchObject({ count: 6, p99: 1, errors: 0, rate: 1 });
    expect(phases.drain.endpoints).toEqual({
      [ENDPOINT.reportStats]: { count: 4, min: 300, mean: 300, p50: 300, p90: 300, p95: 300, p99: 300, p999: 300, max: 300, errors: 3, rate: 2 },
    });
    // The whole run is unchanged: every sample, every phase.
    expect(s.endpoints[ENDPOINT.reportStats]).toMatchObject({ count: 74, errors: 6, min: 5, max: 300 });
  });

  it('keeps the whole run in ramp when the ramp never ended, and steady until now when never stopped', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    clock.set(1_000);
    r.trend(METRIC.request, 7, STATS);
    clock.set(4_000);
    r.markEnd();
    r.markSteady();
    clock.set(5_000);
    const never = buildSummary(r, { meta: META, agentsPlanned: 1 }).phases!;
    expect(never.ramp).toMatchObject({ from: 0, to: 4_000 });
    expect(never.ramp.endpoints[ENDPOINT.reportStats]!.count).toBe(1);
    expect(never.steady).toEqual({ from: 4_000, to: 4_000, endpoints: {} });
    expect(never.drain).toEqual({ from: 4_000, to: 5_000, endpoints: {} });

    const open = createRecorder({ clock: manualClock() });
    open.markSteady();
    open.trend(METRIC.request, 3, STATS);
    const phases = buildSummary(open, { meta: META, agentsPlanned: 0 }).phases!;
    expect(phases.steady.endpoints[ENDPOINT.reportStats]!.count).toBe(1);
    expect(phases.drain.endpoints).toEqual({});
  });

  it('survives encode → merge exactly; the merged marks are the latest shard’s', () => {
    const start = Date.UTC(2026, 10, 29, 12, 0, 0);
    const a = phasedRun(manualClock({ wallStartMs: start }), start);
    // Shard b reaches each mark 500 ms later than a.
    const b = phasedRun(manualClock({ wallStartMs: start }), start, 500);
    const merged = createRecorder({ clock: manualClock({ wallStartMs: start + 10_500 }), startedAtMs: start });
    merged.merge(JSON.parse(JSON.stringify(a.encode())));
    merged.merge(JSON.parse(JSON.stringify(b.encode())));
    expect(merged.steadyElapsedMs()).toBe(2_500);
    expect(merged.endElapsedMs()).toBe(8_500);
    const phases = buildSummary(merged, { meta: META, agentsPlanned: 2 }).phases!;
    expect([phases.ramp.to, phases.steady.from, phases.steady.to, phases.drain.to]).toEqual([2_500, 2_500, 8_500, 10_500]);
    expect(phases.ramp.endpoints[ENDPOINT.reportStats]).toMatchObject({ count: 20, errors: 2, p99: 100 });
    expect(phases.steady.endpoints[ENDPOINT.reportStats]).toMatchObject({ count: 120, errors: 4, p99: 5 });
    expect(phases.steady.endpoints[ENDPOINT.metadata]).toMatchObject({ count: 12 });
    expect(phases.drain.endpoints[ENDPOINT.reportStats]).toMatchObject({ count: 8, errors: 6, p99: 300 });
  });

  it('merges per-phase histograms exactly (percentiles equal one recorder that saw every sample)', () => {
    const clock = manualClock();
    const all = createRecorder({ clock });
    const shards = [createRecorder({ clock, startedAtMs: all.startedAtMs }), createRecorder({ clock, startedAtMs: all.startedAtMs })];
    for (const r of [all, ...shards]) r.markSteady();
    for (let i = 1; i <= 2_000; i++) {
      const ms = (i * 7919) % 997;
      all.trend(METRIC.request, ms, STATS);
      shards[i % 2]!.trend(METRIC.request, ms, STATS);
    }
    const merged = createRecorder({ clock, startedAtMs: all.startedAtMs });
    for (const r of shards) merged.merge(r.encode());
    const one = buildSummary(all, { meta: META, agentsPlanned: 0 }).phases!.steady.endpoints;
    const two = buildSummary(merged, { meta: META, agentsPlanned: 0 }).phases!.steady.endpoints;
    expect(two).toEqual(one);
  });

  it('has no steady phase when a merged shard never left its ramp, and no phases after merging an older encoding', () => {
    const start = Date.UTC(2026, 10, 29, 12, 0, 0);
    const steady = createRecorder({ clock: manualClock({ wallStartMs: start }), startedAtMs: start });
    steady.markSteady();
    const ramping = createRecorder({ clock: manualClock({ wallStartMs: start }), startedAtMs: start });
    const merged = createRecorder({ clock: manualClock({ wallStartMs: start }), startedAtMs: start });
    merged.merge(steady.encode());
    merged.merge(ramping.encode());
    expect(merged.steadyElapsedMs()).toBeUndefined();
    expect(merged.phased()).toBe(true);

    const older = steady.encode();
    delete older.phased;
    const fromOld = createRecorder({ clock: manualClock({ wallStartMs: start }), startedAtMs: start });
    fromOld.merge(older);
    expect(fromOld.phased()).toBe(false);
    expect(buildSummary(fromOld, { meta: META, agentsPlanned: 0 }).phases).toBeUndefined();
  });
});
