import { describe, expect, it } from 'vitest';
import { StopSource } from '../../../src/client/stop-signal.js';
import { createRng } from '../../../src/core/rng.js';
import { chooseAuthMode } from '../../../src/workloads/agents/auth.js';
import { Backoff as RetryBackoff } from '../../../src/core/backoff.js';
import { Gate, pickWeighted, SeededStream } from '../../../src/workloads/agents/timing.js';
import { manualClock } from '../../helpers/clock.js';

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

describe('SeededStream', () => {
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
    const clock = manualClock();
    const slept = clock.sleep(60_000, stop.signal);
    stop.abort();
    stop.abort();
    expect(calls).toEqual(['a', 'b']);
    expect(stop.aborted).toBe(true);
    await expect(slept).resolves.toBe(false);
    await expect(clock.sleep(1, stop.signal)).resolves.toBe(false);
    expect(clock.pendingTimers).toBe(0);
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
