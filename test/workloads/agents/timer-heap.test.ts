import { describe, expect, it } from 'vitest';
import { TimerHeap, type ScheduledTask } from '../../../src/workloads/agents/timer-heap.js';
import { EarlyClock, manualClock } from '../../helpers/clock.js';

const task = (name: string, fired: string[], at?: () => number): ScheduledTask => ({
  dueAt: 0,
  slot: -1,
  fire() {
    fired.push(at ? `${name}@${at()}` : name);
  },
});

describe('TimerHeap', () => {
  it('fires tasks in due order on one timer; cancel and re-schedule move them; an empty heap holds no timer', () => {
    const clock = manualClock();
    const heap = new TimerHeap(clock);
    const fired: string[] = [];
    const tasks = Array.from({ length: 50 }, (_, i) => task(`t${i}`, fired));
    // Delays in a scrambled order: 0, 37, 74, … mod 500.
    tasks.forEach((t, i) => {
      heap.schedule(t, (i * 37) % 500);
    });
    expect(clock.pendingTimers).toBe(1);
    heap.cancel(tasks[3]!);
    heap.cancel(tasks[3]!);
    heap.schedule(tasks[4]!, 1000);
    expect(tasks[3]!.slot).toBe(-1);
    clock.advance(600);
    const expected = tasks
      .map((_, i) => ({ name: `t${i}`, at: (i * 37) % 500 }))
      .filter((_, i) => i !== 3 && i !== 4)
      .sort((a, b) => a.at - b.at || 0);
    expect(fired.length).toBe(48);
    const at = (name: string): number => expected.find((e) => e.name === name)!.at;
    for (let i = 1; i < fired.length; i++) expect(at(fired[i]!)).toBeGreaterThanOrEqual(at(fired[i - 1]!));
    expect(heap.size).toBe(1);
    clock.advance(500);
    expect(fired.at(-1)).toBe('t4');
    expect(heap.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a task may re-schedule itself from fire(); clear() drops everything', () => {
    const clock = manualClock();
    const heap = new TimerHeap(clock);
    let count = 0;
    const periodic: ScheduledTask = {
      dueAt: 0,
      slot: -1,
      fire() {
        count++;
        heap.schedule(periodic, 100);
      },
    };
    heap.schedule(periodic, 100);
    clock.advance(1000);
    expect(count).toBe(10);
    heap.clear();
    expect(periodic.slot).toBe(-1);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(count).toBe(10);
  });

  it('never fires a task before its due time, even when its timer fires early', () => {
    const clock = new EarlyClock(0.6);
    const heap = new TimerHeap(clock);
    const fired: string[] = [];
    const a = task('a', fired, () => clock.now());
    const b = task('b', fired, () => clock.now());
    heap.schedule(a, 10);
    heap.schedule(b, 10.5);
    clock.advance(20);
    expect(fired.length).toBe(2);
    const times = fired.map((f) => Number(f.split('@')[1]));
    expect(times[0]).toBeGreaterThanOrEqual(10);
    expect(times[1]).toBeGreaterThanOrEqual(10.5);
    expect(clock.pendingTimers).toBe(0);
  });
});
