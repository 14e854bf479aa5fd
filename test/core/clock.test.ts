import { describe, expect, it } from 'vitest';
import { ManualClock, backgroundClock, systemClock } from '../../src/core/clock.js';
import { StopSource } from '../../src/client/stop-signal.js';

describe('ManualClock', () => {
  it('runs due timers in order of due time (ties in the order set), each at its own time', () => {
    const clock = new ManualClock(100, 1_000_000);
    const seen: string[] = [];
    const note = (name: string) => () => void seen.push(`${name}@${clock.now()}`);
    clock.setTimeout(note('c'), 30);
    clock.setTimeout(note('a'), 10);
    clock.setTimeout(note('b'), 10);
    const dropped = clock.setTimeout(note('x'), 20);
    clock.clearTimeout(dropped);
    clock.clearTimeout(dropped);
    // A timer set by a callback inside the window runs in the same advance.
    clock.setTimeout(() => clock.setTimeout(note('nested'), 5), 12);
    expect(clock.advance(25)).toBe(4);
    expect(seen).toEqual(['a@110', 'b@110', 'nested@117']);
    expect(clock.now()).toBe(125);
    expect(clock.wallNow()).toBe(1_000_125);
    expect(clock.nextDueIn()).toBe(5);
    clock.set(200);
    expect(seen.at(-1)).toBe('c@130');
    expect(clock.pendingTimers).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('advanceAsync lets awaiting code re-arm between timers', async () => {
    const clock = new ManualClock();
    const wakes: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        wakes.push(clock.now());
      }
    })();
    expect(await clock.advanceAsync(350)).toBe(3);
    await loop;
    expect(wakes).toEqual([100, 200, 300]);
  });

  it('sleep resolves false at once on abort (the timer is cleared), true when the time passed', async () => {
    const clock = new ManualClock();
    const stop = new StopSource();
    const pending = clock.sleep(60_000, stop);
    expect(clock.pendingTimers).toBe(1);
    stop.abort();
    expect(await pending).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    expect(await clock.sleep(1, stop)).toBe(false);
    const passing = clock.sleep(10, new AbortController().signal);
    clock.advance(10);
    expect(await passing).toBe(true);
  });

  it('every ticks on a fixed grid until stopped or aborted', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const ticker = clock.every(100, () => ticks.push(clock.now()));
    clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    ticker.stop();
    clock.advance(500);
    expect(ticks).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);

    const stop = new AbortController();
    let n = 0;
    clock.every(10, () => void n++, stop.signal);
    clock.advance(25);
    stop.abort();
    clock.advance(100);
    expect(n).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    expect(() => clock.every(0, () => {})).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('sleeps on real timers, and an abort ends the sleep at once', async () => {
    const clock = systemClock();
    const stop = new AbortController();
    const long = clock.sleep(60_000, stop.signal);
    stop.abort();
    expect(await long).toBe(false);
    const before = clock.now();
    expect(await clock.sleep(1)).toBe(true);
    expect(clock.now()).toBeGreaterThan(before);
  });

  it('passes the timer argument when there is one; backgroundClock timers do not hold the process', async () => {
    const clock = systemClock();
    const got: unknown[][] = [];
    await new Promise<void>((resolve) => {
      clock.setTimeout((...args: unknown[]) => got.push(args), 0);
      clock.setTimeout((arg: string) => got.push([arg]), 0, 'a');
      clock.setTimeout(resolve, 1);
    });
    expect(got).toEqual([[], ['a']]);
    const held = clock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    const background = backgroundClock();
    const loose = background.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    expect([held.hasRef(), loose.hasRef()]).toEqual([true, false]);
    expect(backgroundClock()).toBe(background);
    clock.clearTimeout(held);
    background.clearTimeout(loose);
  });
});
