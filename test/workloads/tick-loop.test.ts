import { describe, expect, it } from 'vitest';
import { followSchedule, type TickLoopEnd } from '../../src/workloads/tick-loop.js';
import { manualClock } from '../helpers/clock.js';

describe('followSchedule', () => {
  it('ticks at once and on a fixed grid, never at or after the duration, then clears its timers', async () => {
    const clock = manualClock();
    const ticks: number[] = [];
    const ended = followSchedule({ clock, signal: new AbortController().signal, tickMs: 100, durationMs: 350, tick: (t) => void ticks.push(t) });
    clock.advance(1000);
    expect(await ended).toBe<TickLoopEnd>('duration');
    expect(ticks).toEqual([0, 100, 200, 300]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends on abort or when a tick returns false', async () => {
    const clock = manualClock();
    const stop = new AbortController();
    const aborted = followSchedule({ clock, signal: stop.signal, tickMs: 10, durationMs: 60_000, tick: () => {} });
    clock.advance(25);
    stop.abort();
    expect(await aborted).toBe<TickLoopEnd>('aborted');
    let n = 0;
    const stopped = followSchedule({ clock, signal: new AbortController().signal, tickMs: 10, durationMs: 60_000, tick: () => ++n < 3 });
    clock.advance(100);
    expect(await stopped).toBe<TickLoopEnd>('stopped');
    expect(n).toBe(3);
    expect(clock.pendingTimers).toBe(0);
    expect(await followSchedule({ clock, signal: stop.signal, tickMs: 10, durationMs: 100, tick: () => {} })).toBe('aborted');
  });
});
