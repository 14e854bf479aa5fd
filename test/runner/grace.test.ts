import { describe, expect, it } from 'vitest';
import { untilAborted, withinGrace } from '../../src/runner/grace.js';
import { manualClock } from '../helpers/clock.js';

describe('run stop and grace (manual clock)', () => {
  it('a workload that stops inside the grace is awaited, and the grace timer is cleared', async () => {
    const clock = manualClock();
    let finish!: (value: string) => void;
    const running = new Promise<string>((resolve) => (finish = resolve));
    const outcome = withinGrace(clock, running, 15_000);
    await clock.advanceAsync(14_999);
    finish('stopped');
    expect(await outcome).toEqual({ settled: true, value: 'stopped' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a workload that never stops is given up on exactly when the grace runs out', async () => {
    const clock = manualClock();
    let done = false;
    const outcome = withinGrace(clock, new Promise<never>(() => {}), 15_000).then((o) => {
      done = true;
      return o;
    });
    await clock.advanceAsync(14_999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    expect(await outcome).toEqual({ settled: false });
    expect(clock.pendingTimers).toBe(0);
  });

  it('the grace starts only once the run is stopped', async () => {
    const controller = new AbortController();
    let stopped = false;
    const waiting = untilAborted(controller.signal).then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    controller.abort('SIGINT');
    await waiting;
    expect(stopped).toBe(true);
    await expect(untilAborted(controller.signal)).resolves.toBeUndefined();
  });
});
