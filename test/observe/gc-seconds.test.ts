import { describe, expect, it } from 'vitest';
import type { TimeSeriesRow } from '../../src/metrics/summary-types.js';
import { GcSeconds, LONG_GC_PAUSE_MS } from '../../src/observe/gc-seconds.js';
import { nodeGcSource, type GcPause } from '../../src/observe/gc-source.js';

const ORIGIN = 1_700_000_000_000;
const at = (seconds: number) => ORIGIN + seconds * 1000;

function row(t: number, p99Ms: number | null = 10): TimeSeriesRow {
  return { t, requests: 1, errors: 0, connected: 1, p99Ms, delivered: 0, agentP99Ms: p99Ms, reconnects: 0 };
}

describe('GcSeconds', () => {
  it('buckets pauses by second of the run: time, count, longest, major share', () => {
    const gc = new GcSeconds(ORIGIN);
    gc.add({ atMs: at(0.1), durationMs: 2, kind: 'minor' });
    gc.add({ atMs: at(0.9), durationMs: 3.5, kind: 'minor' });
    gc.add({ atMs: at(2.0), durationMs: 120, kind: 'major' });
    gc.add({ atMs: at(2.5), durationMs: 1, kind: 'incremental' });
    expect(gc.second(0)).toEqual({ pauseMs: 5.5, pauses: 2, maxPauseMs: 3.5, majorPauseMs: 0 });
    expect(gc.second(1)).toBeUndefined();
    expect(gc.second(2)).toEqual({ pauseMs: 121, pauses: 2, maxPauseMs: 120, majorPauseMs: 120 });
  });

  it('puts a pause just before the origin in second 0 and a pause on a boundary in the later second', () => {
    const gc = new GcSeconds(ORIGIN);
    gc.add({ atMs: ORIGIN - 5, durationMs: 1, kind: 'minor' });
    gc.add({ atMs: at(3), durationMs: 2, kind: 'minor' });
    expect(gc.second(0)?.pauses).toBe(1);
    expect(gc.second(2)).toBeUndefined();
    expect(gc.second(3)?.pauseMs).toBe(2);
  });

  it('summarises the run: totals, share of wall time, longest pause, major count, worst second, by kind', () => {
    const gc = new GcSeconds(ORIGIN);
    const pauses: GcPause[] = [
      { atMs: at(0.5), durationMs: 4, kind: 'minor' },
      { atMs: at(1.5), durationMs: 30, kind: 'minor' },
      { atMs: at(1.6), durationMs: 40, kind: 'minor' },
      { atMs: at(3.2), durationMs: 60, kind: 'major' },
      { atMs: at(3.3), durationMs: 6, kind: 'weakcb' },
    ];
    for (const p of pauses) gc.add(p);
    expect(gc.summary(10_000)).toEqual({
      totalPauseMs: 140,
      pausedPercent: 1.4,
      pauses: 5,
      maxPauseMs: 60,
      maxPauseKind: 'major',
      majorCount: 1,
      majorPauseMs: 60,
      // Second 1 (70 ms of two pauses) beats second 3 (66 ms).
      worstSecond: 1,
      worstSecondPauseMs: 70,
      byKind: { minor: { pauses: 3, pauseMs: 74 }, major: { pauses: 1, pauseMs: 60 }, weakcb: { pauses: 1, pauseMs: 6 } },
      longPauses: [{ t: 3, pauseMs: 60, kind: 'major' }],
      longPauseMs: LONG_GC_PAUSE_MS,
    });
  });

  it('an empty run has zero figures and no worst second', () => {
    const summary = new GcSeconds(ORIGIN).summary(0);
    expect(summary).toMatchObject({ totalPauseMs: 0, pausedPercent: 0, pauses: 0, maxPauseMs: 0, maxPauseKind: null, worstSecond: null, longPauses: [] });
  });

  it('keeps the ten longest long pauses, longest first', () => {
    const gc = new GcSeconds(ORIGIN);
    for (let i = 0; i < 15; i++) gc.add({ atMs: at(i), durationMs: LONG_GC_PAUSE_MS + i, kind: i % 2 === 0 ? 'major' : 'minor' });
    gc.add({ atMs: at(20), durationMs: LONG_GC_PAUSE_MS - 1, kind: 'major' });
    const long = gc.summary(30_000).longPauses;
    expect(long).toHaveLength(10);
    expect(long.map((p) => p.t)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
    expect(long[0]).toEqual({ t: 14, pauseMs: LONG_GC_PAUSE_MS + 14, kind: 'major' });
  });

  it('attaches each second to the time series row with the same t, leaving quiet seconds alone', () => {
    const gc = new GcSeconds(ORIGIN);
    gc.add({ atMs: at(1.2), durationMs: 90, kind: 'major' });
    const rows = gc.attachTo([row(0), row(1, 291), row(2)]);
    expect(rows[0]).not.toHaveProperty('gc');
    expect(rows[1]).toEqual({ ...row(1, 291), gc: { pauseMs: 90, pauses: 1, maxPauseMs: 90, majorPauseMs: 90 } });
    expect(rows[2]).not.toHaveProperty('gc');
  });
});

describe('nodeGcSource', () => {
  it('delivers the real pauses of this process with a kind, epoch start and duration', async () => {
    const source = nodeGcSource();
    const seen: GcPause[] = [];
    const before = Date.now();
    source.start((p) => seen.push(p));
    // Enough short-lived garbage to fill the young generation a few times (bounded).
    let keep = 0;
    for (let round = 0; round < 50 && seen.length === 0; round++) {
      for (let i = 0; i < 100_000; i++) keep += [i, i + 1].length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    source.stop();
    source.stop();
    expect(keep).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    const first = seen[0]!;
    expect(['minor', 'major', 'incremental', 'weakcb']).toContain(first.kind);
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(first.atMs).toBeGreaterThanOrEqual(before - 1000);
    expect(first.atMs).toBeLessThanOrEqual(Date.now() + 1000);
  });
});
