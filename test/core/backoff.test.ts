import { describe, expect, it } from 'vitest';
import { Backoff, reconnectBackoff, type ReconnectPolicy } from '../../src/core/backoff.js';
import { createRng } from '../../src/core/rng.js';

const AGENT: ReconnectPolicy = { initial: 100, max: 10_000, jitter: 'none' };
const take = (b: Backoff, n: number): number[] => Array.from({ length: n }, () => b.next());
const NOMINAL = [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000];

describe('reconnectBackoff', () => {
  it('without jitter gives the exact doubling delays of the Go agent and draws nothing', () => {
    let asked = 0;
    const b = reconnectBackoff(AGENT, () => {
      asked++;
      return createRng('unused');
    });
    expect(take(b, 10)).toEqual(NOMINAL);
    b.reset();
    expect(b.next()).toBe(100);
    expect(asked).toBe(0);
  });

  it('with full jitter keeps every delay in [0, nominal delay] and still doubles the nominal', () => {
    const b = reconnectBackoff({ ...AGENT, jitter: 'full' }, () => createRng('jitter').fork('agent-0'));
    const delays = take(b, 10);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(NOMINAL[i]!);
    });
    // Not the nominal sequence, and spread over the interval rather than pinned to one end.
    expect(delays).not.toEqual(NOMINAL);
    const ratios = delays.map((d, i) => d / NOMINAL[i]!);
    expect(Math.min(...ratios)).toBeLessThan(0.5);
    expect(Math.max(...ratios)).toBeGreaterThan(0.5);
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(100);
  });

  it('with full jitter replays the same delays from the same seed, and others from another', () => {
    const run = (seed: string): number[] =>
      take(
        reconnectBackoff({ ...AGENT, jitter: 'full' }, () => createRng(seed).fork('reconnect')),
        8,
      );
    expect(run('a')).toEqual(run('a'));
    expect(run('a')).not.toEqual(run('b'));
  });

  it('caps at max even when initial is not a power-of-two fraction of it', () => {
    expect(take(new Backoff(300, 1000), 4)).toEqual([300, 600, 1000, 1000]);
  });
});
