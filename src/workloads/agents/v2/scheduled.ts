/**
 * Small adapters onto the fleet's one shared {@link Scheduler}, so a v2 agent holds no timer of
 * its own: periodic routines (stats, metadata, app health, banners, node updates, lifecycle
 * steps) are {@link OwnedTask}s, and the yamux session's keepalive and deadline timers go
 * through {@link SchedulerClock}.
 */
import type { Clock, TimerClock, TimerHandle } from '../../../core/clock.js';
import type { ScheduledTask, Scheduler } from '../timer-heap.js';

/** Something that runs tasks by number (one prototype method, no closure per task). */
export interface TaskOwner {
  onTask(kind: number): void;
}

/** A scheduler task that calls `owner.onTask(kind)`. */
export class OwnedTask implements ScheduledTask {
  dueAt = 0;
  slot = -1;

  constructor(
    private readonly owner: TaskOwner,
    private readonly kind: number,
  ) {}

  get scheduled(): boolean {
    return this.slot >= 0;
  }

  fire(): void {
    this.owner.onTask(this.kind);
  }
}

class TimerTask implements ScheduledTask {
  dueAt = 0;
  slot = -1;

  constructor(
    private readonly callback: (arg: unknown) => void,
    private readonly arg: unknown,
  ) {}

  fire(): void {
    this.callback(this.arg);
  }
}

/**
 * A {@link TimerClock} on the shared scheduler, for the yamux session and its dRPC calls: their
 * keepalive, deadline and call-timeout timers become heap tasks instead of a Node timer each.
 * `now` must tick in the scheduler's time base (the fleet passes the run's clock, whose `now()`
 * the scheduler also uses).
 */
export class SchedulerClock implements TimerClock {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  now(): number {
    return this.clock.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle;
  setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): TimerHandle;
  setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    const task = new TimerTask(callback as (arg: unknown) => void, arg);
    this.scheduler.schedule(task, ms);
    return task;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer instanceof TimerTask) this.scheduler.cancel(timer);
  }
}
