import type { Clock } from '../../../src/core/clock.js';
import type { MetricSink, Tags } from '../../../src/metrics/sink.js';
import type { ScheduledTask, Scheduler, Sleep } from '../../../src/workloads/agents/timing.js';

/** A clock that only moves when told to. */
export function manualClock(start = 0): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, wallNow: () => 1_700_000_000_000 + t, advance: (ms) => (t += ms) };
}

/** A sleep that advances the manual clock at once and records every requested wait. */
export function recordingSleep(clock: { advance(ms: number): void }, waits: number[], limit = Infinity, onLimit?: () => void): Sleep {
  return async (ms, signal) => {
    if (signal.aborted) return false;
    waits.push(ms);
    clock.advance(ms);
    if (waits.length >= limit) onLimit?.();
    return !signal.aborted;
  };
}

export interface Sample {
  kind: 'trend' | 'count' | 'gauge' | 'rate';
  name: string;
  value: number | boolean;
  tags?: Tags;
}

/** A sink that keeps every sample. */
export function memorySink(): MetricSink & { samples: Sample[]; total(name: string, tags?: Tags): number } {
  const samples: Sample[] = [];
  const matches = (s: Sample, name: string, tags?: Tags): boolean =>
    s.name === name && Object.entries(tags ?? {}).every(([k, v]) => s.tags?.[k] === v);
  return {
    samples,
    trend: (name, value, tags) => samples.push({ kind: 'trend', name, value, tags }),
    count: (name, value, tags) => samples.push({ kind: 'count', name, value, tags }),
    gauge: (name, value, tags) => samples.push({ kind: 'gauge', name, value, tags }),
    rate: (name, value, tags) => samples.push({ kind: 'rate', name, value, tags }),
    total: (name, tags) =>
      samples.filter((s) => s.kind === 'count' && matches(s, name, tags)).reduce((sum, s) => sum + (s.value as number), 0),
  };
}

/**
 * A real-time scheduler (one setTimeout per task, for small test fleets) that can be paused:
 * tasks that come due while paused are held and run on `resume()`. A test pauses it to make a
 * fleet quiet (no periodic call can start) before it compares counts or drops sockets.
 */
export class PausableScheduler implements Scheduler {
  private paused = false;
  private held: ScheduledTask[] = [];
  private readonly timers = new Map<ScheduledTask, NodeJS.Timeout>();

  schedule(task: ScheduledTask, delayMs: number): void {
    this.cancel(task);
    task.slot = 0;
    this.timers.set(
      task,
      setTimeout(() => {
        this.timers.delete(task);
        if (this.paused) return void this.held.push(task);
        task.slot = -1;
        task.fire();
      }, Math.max(0, delayMs)),
    );
  }

  cancel(task: ScheduledTask): void {
    const timer = this.timers.get(task);
    if (timer) clearTimeout(timer);
    this.timers.delete(task);
    const at = this.held.indexOf(task);
    if (at >= 0) this.held.splice(at, 1);
    task.slot = -1;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const task of held) {
      task.slot = -1;
      task.fire();
    }
  }

  /** Drops every task (end of a test). */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.held = [];
  }
}
