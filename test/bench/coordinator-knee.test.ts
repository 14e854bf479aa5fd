import { describe, expect, it } from 'vitest';
import { coordinatorVerdict, cpuUsPerUpdate, KneeSearch, ladder, type StepOutcome } from '../../bench/coordinator-knee.js';

const step = (rate: number, ok: boolean, cpuUs = 40, delivered = rate * 3): StepOutcome => ({
  rate,
  deliveredPerSecond: rate - 1,
  delivered,
  p99: ok ? 10 : 80,
  lost: 0,
  targetCpuMs: (cpuUs * delivered) / 1000,
});

/** Feeds a search the outcome `pass(rate, attempt)` until it ends; returns the rates tried. */
function climb(search: KneeSearch, pass: (rate: number, attempt: number) => boolean, cpuUs = 40): number[] {
  const tried: number[] = [];
  for (let i = 0; i < 100; i++) {
    const rate = search.next();
    if (rate === undefined) return tried;
    const attempt = tried.filter((r) => r === rate).length;
    tried.push(rate);
    search.record(step(rate, pass(rate, attempt), cpuUs));
  }
  throw new Error('the climb did not end');
}

describe('ladder', () => {
  it('rises by the factor on a grid through 10,000/s', () => {
    expect(ladder(2000, 1.25, 20_000)).toEqual([2097, 2621, 3277, 4096, 5120, 6400, 8000, 10_000, 12_500, 15_625, 19_531]);
    expect(ladder(10_000, 2, 40_000)).toEqual([10_000, 20_000, 40_000]);
    expect(ladder(1000, 1.25, 1500)).toEqual([1074, 1342]);
  });
  it('refuses a ladder that cannot climb', () => {
    expect(() => ladder(1000, 1, 5000)).toThrow(RangeError);
    expect(() => ladder(5000, 1.25, 1000)).toThrow(RangeError);
  });
});

describe('KneeSearch', () => {
  const rates = [1000, 2000, 4000, 8000, 16_000];

  it('stops at the second failure at one rate; the knee is the best passing step', () => {
    const search = new KneeSearch(rates);
    expect(climb(search, (rate) => rate < 8000)).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(search.outcome).toBe('knee');
    expect(search.knee).toBe(3999);
    expect(search.lastRate).toBe(8000);
  });

  it('retries a failed step once and climbs on when the retry passes', () => {
    const search = new KneeSearch(rates);
    expect(climb(search, (rate, attempt) => rate < 8000 || (rate === 8000 && attempt === 1))).toEqual([1000, 2000, 4000, 8000, 8000, 16_000, 16_000]);
    expect(search.knee).toBe(7999);
  });

  it('ends exhausted when the top of the ladder passes (the knee lies above it)', () => {
    const search = new KneeSearch(rates);
    expect(climb(search, () => true)).toEqual(rates);
    expect(search.outcome).toBe('exhausted');
    expect(search.knee).toBe(15_999);
  });

  it('has knee 0 when nothing passed, and stops when told', () => {
    const failing = new KneeSearch(rates);
    climb(failing, () => false);
    expect(failing.knee).toBe(0);
    const stopped = new KneeSearch(rates);
    stopped.record(step(1000, true));
    stopped.stop();
    expect(stopped.next()).toBeUndefined();
    expect(stopped.outcome).toBe('stopped');
    expect(() => stopped.record(step(2000, true))).toThrow();
  });
});

describe('KneeSearch with refinements', () => {
  const rates = [1000, 2000, 4000, 8000, 16_000];

  it('bisects the gap above the last passing rung, geometric midpoints', () => {
    const search = new KneeSearch(rates, 2);
    // Coarse knee between 4000 and 8000; 5657 passes, then 6727 fails twice.
    expect(climb(search, (rate) => rate < 6000)).toEqual([1000, 2000, 4000, 8000, 8000, 5657, 6727, 6727]);
    expect(search.outcome).toBe('knee');
    expect(search.knee).toBe(5656);
    expect(search.lastRate).toBe(6727);
  });

  it('narrows downwards when the midpoint fails, and a retried midpoint that passes counts as passing', () => {
    const down = new KneeSearch(rates, 2);
    expect(climb(down, (rate) => rate < 4500)).toEqual([1000, 2000, 4000, 8000, 8000, 5657, 5657, 4757, 4757]);
    expect(down.knee).toBe(3999);
    expect(down.lastRate).toBe(4757);
    const retried = new KneeSearch(rates, 1);
    expect(climb(retried, (rate, attempt) => rate < 5000 || (rate === 5657 && attempt === 1))).toEqual([1000, 2000, 4000, 8000, 8000, 5657, 5657]);
    expect(retried.knee).toBe(5656);
  });

  it('does not refine when nothing passed or the ladder is exhausted', () => {
    const failing = new KneeSearch(rates, 2);
    expect(climb(failing, () => false)).toEqual([1000, 1000]);
    expect(failing.knee).toBe(0);
    const exhausted = new KneeSearch(rates, 2);
    expect(climb(exhausted, () => true)).toEqual(rates);
    expect(exhausted.outcome).toBe('exhausted');
  });

  it('stops mid-refinement when told, and refuses a bad count', () => {
    const search = new KneeSearch(rates, 2);
    for (const ok of [true, true, false, false]) search.record(step(search.next() as number, ok));
    expect(search.next()).toBe(2828);
    search.stop();
    expect(search.outcome).toBe('stopped');
    expect(() => new KneeSearch(rates, -1)).toThrow(RangeError);
    expect(() => new KneeSearch(rates, 1.5)).toThrow(RangeError);
  });
});

describe('verdict', () => {
  it('compares knees, and CPU per update over the rates both sides ran', () => {
    const rates = [1000, 2000, 4000, 8000, 16_000];
    const server = new KneeSearch(rates);
    const relay = new KneeSearch(rates);
    climb(server, (rate) => rate < 4000, 60); // knee 1999, tried 1000, 2000, 4000, 4000
    climb(relay, (rate) => rate < 16_000, 30); // knee 7999, also tried 8000 and 16,000 (at a cost not compared)
    relay.steps.push(step(16_000, false, 1000)); // never counted: the server did not run 16,000
    const verdict = coordinatorVerdict('v2', server, relay, [step(10_000, false, 60)]);
    expect(verdict).toEqual({
      bench: 'coordinator',
      protocol: 'v2',
      updates_per_s: 1999,
      raw_updates_per_s: 7999,
      ratio: 0.25,
      cpu_us_per_update: 60,
      raw_cpu_us_per_update: 30,
      cpu_ratio: 0.5,
      p99_ms_at_10k: 80,
      lost: 0,
    });
  });

  it('weighs every delivered update alike and skips steps without a CPU figure', () => {
    const steps = [step(1000, true, 100, 1000), step(4000, true, 25, 4000), { ...step(4000, true), targetCpuMs: NaN }];
    expect(cpuUsPerUpdate(steps, new Set([1000, 4000]))).toBe(40);
    expect(cpuUsPerUpdate(steps, new Set([2000]))).toBeNaN();
  });
});
