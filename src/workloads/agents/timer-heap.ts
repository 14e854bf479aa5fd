import type { Clock, TimerHandle } from '../../core/clock.js';

/**
 * A task a {@link Scheduler} can hold. The two fields are the scheduler's bookkeeping, kept on
 * the task itself so scheduling allocates nothing (a fleet re-arms tens of thousands of these).
 */
export interface ScheduledTask {
  /** When the task is due (scheduler clock, ms). */
  dueAt: number;
  /** Index in the scheduler's heap, -1 when not scheduled. */
  slot: number;
  fire(): void;
}

/** Runs tasks later; scheduling an already scheduled task moves it. */
export interface Scheduler {
  schedule(task: ScheduledTask, delayMs: number): void;
  cancel(task: ScheduledTask): void;
}

/**
 * One timer for a whole fleet's periodic work (stats reports, node updates): a binary min-heap
 * of tasks behind a single clock timer armed for the earliest one. Per-agent timers cost a
 * Timeout object each and, with jittered delays, one Node timer list per distinct duration.
 *
 * A task never fires before its `dueAt` by the clock: callers stamp `dueAt`-derived intended
 * send times, and a task fired early would record latency shorter than the real round trip.
 * (A Node timer may fire up to 1 ms early against performance.now(); the heap then re-arms.)
 */
export class TimerHeap implements Scheduler {
  private readonly heap: ScheduledTask[] = [];
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(task: ScheduledTask, delayMs: number): void {
    if (task.slot >= 0) this.removeAt(task.slot);
    task.dueAt = this.clock.now() + Math.max(0, delayMs);
    task.slot = this.heap.length;
    this.heap.push(task);
    this.up(task.slot);
    this.arm();
  }

  cancel(task: ScheduledTask): void {
    if (task.slot < 0 || this.heap[task.slot] !== task) return;
    this.removeAt(task.slot);
    if (this.heap.length === 0) this.disarm();
  }

  /** Drops every task and the timer. */
  clear(): void {
    for (const task of this.heap) task.slot = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first) return this.disarm();
    // Re-arm only when the earliest task moved earlier; a late timer just finds nothing due yet.
    if (first.dueAt >= this.timerAt) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = first.dueAt;
    this.timer = this.clock.setTimeout(TimerHeap.run, first.dueAt - this.clock.now(), this);
  }

  private disarm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private static run(self: TimerHeap): void {
    self.timer = undefined;
    self.timerAt = Infinity;
    // No slack: what is not due yet waits for the re-armed timer (see the class comment).
    const now = self.clock.now();
    try {
      let first = self.heap[0];
      while (first && first.dueAt <= now) {
        self.removeAt(0);
        first.fire();
        first = self.heap[0];
      }
    } finally {
      // A task that throws surfaces like a throwing timer callback; the others still run.
      self.arm();
    }
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index]!;
    removed.slot = -1;
    const last = heap.pop()!;
    if (index < heap.length) {
      heap[index] = last;
      last.slot = index;
      this.up(index);
      this.down(last.slot);
    }
  }

  private up(index: number): void {
    const heap = this.heap;
    const task = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent]!;
      if (above.dueAt <= task.dueAt) break;
      heap[index] = above;
      above.slot = index;
      index = parent;
    }
    heap[index] = task;
    task.slot = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const task = heap[index]!;
    const n = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      const below = heap[child]!;
      if (below.dueAt >= task.dueAt) break;
      heap[index] = below;
      below.slot = index;
      index = child;
    }
    heap[index] = task;
    task.slot = index;
  }
}
