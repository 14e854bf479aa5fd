import { performance } from 'node:perf_hooks';
import type { Rng } from '../../core/rng.js';
import type { StopSignal } from '../../client/stop-signal.js';

/** Waits `ms`; resolves true when the time passed, false as soon as `signal` aborts. */
export type Sleep = (ms: number, signal: StopSignal) => Promise<boolean>;

/*
 * Memory note: a fleet holds tens of thousands of pending sleeps. tsx compiles with esbuild's
 * keepNames, which gives every named closure its own property array (~250 B), so long-lived
 * per-agent state here uses class instances (prototype methods) instead of closures.
 */
class PendingSleep {
  private readonly timer: NodeJS.Timeout;

  constructor(
    ms: number,
    private readonly signal: StopSignal,
    private readonly resolve: (passed: boolean) => void,
  ) {
    this.timer = setTimeout(PendingSleep.fire, Math.max(0, ms), this);
    signal.addEventListener('abort', this, { once: true });
  }

  private static fire(self: PendingSleep): void {
    self.signal.removeEventListener('abort', self);
    self.resolve(true);
  }

  /** EventTarget listener object: the signal aborted. */
  handleEvent(): void {
    clearTimeout(this.timer);
    this.resolve(false);
  }
}

export function sleep(ms: number, signal: StopSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => new PendingSleep(ms, signal, resolve));
}

/**
 * A small seeded stream (mulberry32) for an agent's ongoing draws (update jitter, flapping):
 * seeded once from the agent's Rng, with prototype methods so thousands of agents stay cheap.
 */
export class SeededStream {
  private state: number;

  constructor(rng: Rng) {
    this.state = Math.floor(rng.next() * 4294967296) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniform value in [base × (1 − ratio), base × (1 + ratio)]. */
  jitter(base: number, ratio: number): number {
    return base * (1 - ratio + 2 * ratio * this.next());
  }
}

/** Picks a key with probability proportional to its weight (weights ≥ 0, sum > 0). One draw. */
export function pickWeighted<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  const entries = (Object.entries(weights) as Array<[K, number]>).filter(([, w]) => w > 0);
  if (entries.length === 0) throw new Error('pickWeighted: no positive weight');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/** A counting semaphore (bounds handshakes in flight). `acquire` resolves false if aborted. */
export class Gate {
  private active = 0;
  /** Insertion-ordered, so release() grants in FIFO order; delete() is O(1) on abort. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly limit: number) {}

  async acquire(signal: StopSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (this.active < this.limit) {
      this.active++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve(true);
      };
      const onAbort = (): void => {
        this.waiters.delete(grant);
        resolve(false);
      };
      this.waiters.add(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    const next = this.waiters.values().next();
    if (!next.done) {
      this.waiters.delete(next.value);
      next.value();
    }
  }
}

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
 * of tasks behind a single setTimeout armed for the earliest one. Per-agent setTimeouts cost a
 * Timeout object each and, with jittered delays, one timer list per distinct duration.
 */
export class TimerWheel implements Scheduler {
  private readonly heap: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(task: ScheduledTask, delayMs: number): void {
    if (task.slot >= 0) this.removeAt(task.slot);
    task.dueAt = this.now() + Math.max(0, delayMs);
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
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = first.dueAt;
    this.timer = setTimeout(TimerWheel.run, Math.max(0, first.dueAt - this.now()), this);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private static run(self: TimerWheel): void {
    self.timer = undefined;
    self.timerAt = Infinity;
    // 1 ms of slack: setTimeout rounds to whole ms and may fire a fraction early.
    const until = self.now() + 1;
    try {
      let first = self.heap[0];
      while (first && first.dueAt <= until) {
        self.removeAt(0);
        first.fire();
        first = self.heap[0];
      }
    } finally {
      // A task that throws surfaces like a throwing setTimeout callback; the others still run.
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

/**
 * A {@link Scheduler} over a {@link Sleep} (tests inject sleeps that advance a manual clock):
 * each schedule is one sleep; `ended` runs when a sleep ends early (the signal aborted).
 */
export class SleepScheduler implements Scheduler {
  constructor(
    private readonly sleep: Sleep,
    private readonly signal: StopSignal,
    private readonly ended: () => void,
  ) {}

  schedule(task: ScheduledTask, delayMs: number): void {
    task.slot = 0;
    void this.sleep(delayMs, this.signal).then((passed) => {
      if (task.slot < 0) return;
      task.slot = -1;
      if (passed) task.fire();
      else this.ended();
    });
  }

  cancel(task: ScheduledTask): void {
    task.slot = -1;
  }
}
