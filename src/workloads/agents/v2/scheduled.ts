/**
 * Small adapters onto the fleet's one shared {@link Scheduler}, so a v2 agent holds no timer of
 * its own: periodic routines (stats, metadata, app health, banners, node updates, lifecycle
 * steps) are {@link OwnedTask}s, and the yamux session's keepalive and deadline timers go
 * through {@link SchedulerTimerHost}.
 */
import type { TimerHost } from '../../../protocol/v2/timer-host.js';
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

  constructor(private readonly fn: () => void) {}

  fire(): void {
    this.fn();
  }
}

/**
 * A yamux {@link TimerHost} on the shared scheduler. `now` must tick in the scheduler's time
 * base (the fleet passes the run's clock, whose `now()` the scheduler also uses).
 */
export class SchedulerTimerHost implements TimerHost {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: { now(): number },
  ) {}

  now(): number {
    return this.clock.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const task = new TimerTask(fn);
    this.scheduler.schedule(task, ms);
    return task;
  }

  clearTimeout(handle: unknown): void {
    if (handle instanceof TimerTask) this.scheduler.cancel(handle);
  }
}
