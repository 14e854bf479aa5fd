import { describe, expect, it } from 'vitest';
import { Heartbeats } from '../../src/server/heartbeats.js';
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
