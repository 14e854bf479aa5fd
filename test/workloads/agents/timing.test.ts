import { afterEach, describe, expect, it, vi } from 'vitest';
import { StopSource } from '../../../src/client/stop-signal.js';
import { createRng } from '../../../src/core/rng.js';
import { chooseAuthMode } from '../../../src/workloads/agents/auth.js';
import { Backoff as RetryBackoff } from '../../../src/core/backoff.js';
import { Gate, pickWeighted, SeededStream, sleep, TimerWheel, type ScheduledTask } from '../../../src/workloads/agents/timing.js';

describe('RetryBackoff', () => {
  it('doubles from the floor up to the ceiling and resets', () => {
    const b = new RetryBackoff(100, 10_000);
    const seen = Array.from({ length: 9 }, () => b.next());
    expect(seen).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('caps the stats backoff at one minute', () => {
    const b = new RetryBackoff(100, 60_000);
    let last = 0;
    for (let i = 0; i < 20; i++) last = b.next();
    expect(last).toBe(60_000);
  });
});

describe('auth mode selection', () => {
  const weights = { token: 1, aws: 3, azure: 0, google: 1 };

  it('is seeded: the same seed and agent give the same mode', () => {
    const a = Array.from({ length: 50 }, (_, i) => chooseAuthMode(createRng('s').fork(`agent-${i}`), weights));
    const b = Array.from({ length: 50 }, (_, i) => chooseAuthMode(createRng('s').fork(`agent-${i}`), weights));
    expect(a).toEqual(b);
    const other = Array.from({ length: 50 }, (_, i) => chooseAuthMode(createRng('t').fork(`agent-${i}`), weights));
    expect(other).not.toEqual(a);
  });

  it('respects the weights and never picks a zero weight', () => {
    const rng = createRng('weights');
    const counts = { token: 0, aws: 0, azure: 0, google: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[chooseAuthMode(rng, weights)]++;
    expect(counts.azure).toBe(0);
    expect(counts.aws / n).toBeGreaterThan(0.57);
    expect(counts.aws / n).toBeLessThan(0.63);
    expect(counts.token / n).toBeGreaterThan(0.17);
    expect(counts.token / n).toBeLessThan(0.23);
  });

  it('rejects weights with no positive entry', () => {
    expect(() => pickWeighted(createRng(1), { a: 0, b: 0 })).toThrow();
  });
});

describe('Gate', () => {
  it('admits up to the limit, queues the rest in order, and drops aborted waiters', async () => {
    const gate = new Gate(1);
    const signal = new AbortController().signal;
    expect(await gate.acquire(signal)).toBe(true);
    const order: string[] = [];
    const aborted = new AbortController();
    const first = gate.acquire(aborted.signal).then((ok) => order.push(`a:${ok}`));
    const second = gate.acquire(signal).then((ok) => order.push(`b:${ok}`));
    aborted.abort();
    await first;
    gate.release();
    await second;
    expect(order).toEqual(['a:false', 'b:true']);
  });
});

describe('sleep and SeededStream', () => {
  it('sleep resolves false at once when aborted, true when the time passed', async () => {
    const stop = new AbortController();
    const pending = sleep(60_000, stop.signal);
    stop.abort();
    expect(await pending).toBe(false);
    expect(await sleep(1, new AbortController().signal)).toBe(true);
    expect(await sleep(1, stop.signal)).toBe(false);
  });

  it('SeededStream is deterministic per seed and jitters within the ratio', () => {
    const a = new SeededStream(createRng('j'));
    const b = new SeededStream(createRng('j'));
    const seqA = Array.from({ length: 100 }, () => a.jitter(1000, 0.1));
    expect(Array.from({ length: 100 }, () => b.jitter(1000, 0.1))).toEqual(seqA);
    expect(Math.min(...seqA)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...seqA)).toBeLessThanOrEqual(1100);
    expect(new Set(seqA).size).toBeGreaterThan(90);
  });
});

describe('TimerWheel', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const task = (name: string, fired: string[]): ScheduledTask => ({
    dueAt: 0,
    slot: -1,
    fire() {
      fired.push(name);
    },
  });

  it('fires tasks in due order on one timer; cancel and re-schedule move them; an empty wheel holds no timer', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel(() => Date.now());
    const fired: string[] = [];
    const tasks = Array.from({ length: 50 }, (_, i) => task(`t${i}`, fired));
    // Delays in a scrambled order: 0, 37, 74, … mod 500.
    tasks.forEach((t, i) => wheel.schedule(t, (i * 37) % 500));
    expect(vi.getTimerCount()).toBe(1);
    wheel.cancel(tasks[3]!);
    wheel.cancel(tasks[3]!);
    wheel.schedule(tasks[4]!, 1000);
    expect(tasks[3]!.slot).toBe(-1);
    vi.advanceTimersByTime(600);
    const expected = tasks
      .map((t, i) => ({ name: `t${i}`, at: (i * 37) % 500 }))
      .filter((_, i) => i !== 3 && i !== 4)
      .sort((a, b) => a.at - b.at || 0);
    expect(fired.length).toBe(48);
    const at = (name: string): number => expected.find((e) => e.name === name)!.at;
    for (let i = 1; i < fired.length; i++) expect(at(fired[i]!)).toBeGreaterThanOrEqual(at(fired[i - 1]!));
    expect(wheel.size).toBe(1);
    vi.advanceTimersByTime(500);
    expect(fired.at(-1)).toBe('t4');
    expect(wheel.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a task may re-schedule itself from fire(); clear() drops everything', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel(() => Date.now());
    let count = 0;
    const periodic: ScheduledTask = {
      dueAt: 0,
      slot: -1,
      fire() {
        count++;
        wheel.schedule(periodic, 100);
      },
    };
    wheel.schedule(periodic, 100);
    vi.advanceTimersByTime(1000);
    expect(count).toBe(10);
    wheel.clear();
    expect(periodic.slot).toBe(-1);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(count).toBe(10);
  });
});

describe('StopSource', () => {
  it('calls each listener once in order on abort, honours removal, and stands in for an AbortSignal', async () => {
    const stop = new StopSource();
    const calls: string[] = [];
    const a = { handleEvent: () => calls.push('a') };
    const b = (): void => void calls.push('b');
    const c = { handleEvent: () => calls.push('c') };
    stop.addEventListener('abort', a);
    stop.addEventListener('abort', b, { once: true });
    stop.addEventListener('abort', a);
    stop.addEventListener('abort', c);
    stop.removeEventListener('abort', c);
    const slept = sleep(60_000, stop.signal);
    stop.abort();
    stop.abort();
    expect(calls).toEqual(['a', 'b']);
    expect(stop.aborted).toBe(true);
    await expect(slept).resolves.toBe(false);
    await expect(sleep(1, stop.signal)).resolves.toBe(false);
    // Down to one listener and back up again.
    const other = new StopSource();
    const seen: string[] = [];
    const x = { handleEvent: () => seen.push('x') };
    const y = { handleEvent: () => seen.push('y') };
    other.addEventListener('abort', x);
    other.addEventListener('abort', y);
    other.removeEventListener('abort', x);
    other.removeEventListener('abort', x);
    other.addEventListener('abort', x);
    other.abort();
    expect(seen).toEqual(['y', 'x']);
  });
});
