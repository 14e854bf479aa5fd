import { describe, expect, it } from 'vitest';
import { BEATS_PER_RUN, Heartbeats } from '../../src/server/heartbeats.js';
import { eventually } from '../helpers/eventually.js';

describe('Heartbeats', () => {
  it('beats every entry each interval, in order, until cancelled', async () => {
    const hb = new Heartbeats(5);
    const seen: string[] = [];
    const a = hb.add({ beat: () => void seen.push('a') });
    const b = hb.add({ beat: () => void seen.push('b') });
    try {
      await eventually(() => seen.filter((x) => x === 'b').length >= 2);
      expect(seen.slice(0, 4)).toEqual(['a', 'b', 'a', 'b']);
      a.cancel();
      const at = seen.length;
      await eventually(() => seen.slice(at).filter((x) => x === 'b').length >= 2);
      expect(seen.slice(at + 1)).not.toContain('a');
    } finally {
      b.cancel();
      hb.close();
    }
  });

  it('stops its timer when every entry is cancelled, and starts again on add', async () => {
    const hb = new Heartbeats(2);
    let n = 0;
    const h = hb.add({ beat: () => void n++ });
    await eventually(() => n >= 1);
    h.cancel();
    await eventually(() => (hb as unknown as { timer?: unknown }).timer === undefined);
    let m = 0;
    const h2 = hb.add({ beat: () => void m++ });
    await eventually(() => m >= 1);
    h2.cancel();
    hb.close();
    expect((hb as unknown as { timer?: unknown }).timer).toBeUndefined();
  });
});

describe('Heartbeats in slices', () => {
  it('beats a burst of due entries in order, over several runs of at most BEATS_PER_RUN', async () => {
    const hb = new Heartbeats(20);
    const seen: number[] = [];
    const runs: number[][] = [];
    let current: number[] | undefined;
    const n = BEATS_PER_RUN * 2 + 5;
    const handles = Array.from({ length: n }, (_, i) =>
      hb.add({
        beat: () => {
          if (!current) {
            current = [];
            runs.push(current);
            // A run is one synchronous stretch: the next beat after a turn of the loop opens another.
            queueMicrotask(() => (current = undefined));
          }
          current.push(i);
          seen.push(i);
        },
      }),
    );
    try {
      await eventually(() => seen.length >= n);
      expect(seen.slice(0, n)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(runs.length).toBeGreaterThanOrEqual(3);
      for (const run of runs) expect(run.length).toBeLessThanOrEqual(BEATS_PER_RUN);
    } finally {
      for (const h of handles) h.cancel();
      hb.close();
    }
  });
});
