import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../../../src/workloads/agents/timer-heap.js';
import { SchedulerClock } from '../../../../src/workloads/agents/v2/scheduled.js';
import { manualClock } from '../../../helpers/clock.js';

describe('SchedulerClock', () => {
  it('runs yamux-style timers as tasks of the shared heap, on the heap clock, with their argument', () => {
    const clock = manualClock();
    const heap = new TimerHeap(clock);
    const timers = new SchedulerClock(heap, clock);
    const fired: [string, number][] = [];
    const note = (name: string): void => void fired.push([name, timers.now()]);
    timers.setTimeout(note, 30, 'keepalive');
    const cleared = timers.setTimeout(note, 10, 'deadline');
    timers.setTimeout(() => note('plain'), 20);
    expect([heap.size, clock.pendingTimers]).toEqual([3, 1]); // one clock timer for all of them
    timers.clearTimeout(cleared);
    timers.clearTimeout(undefined);
    timers.clearTimeout({}); // a handle of another clock is ignored
    clock.advance(30);
    expect(fired).toEqual([
      ['plain', 20],
      ['keepalive', 30],
    ]);
    expect([heap.size, clock.pendingTimers]).toEqual([0, 0]);
  });
});
