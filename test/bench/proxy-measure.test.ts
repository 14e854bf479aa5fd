import { describe, expect, it } from 'vitest';
import { cpuVsRelay, FixedRateSchedule, fixedRate, fixedVerdict, percentile, type FixedTurn } from '../../bench/proxy-measure.js';

describe('FixedRateSchedule', () => {
  it('owes rate × elapsed sends, counting what it already handed out', () => {
    const s = new FixedRateSchedule(1000, 100);
    expect(s.due(100)).toBe(0);
    expect(s.due(105)).toBe(5);
    expect(s.due(105)).toBe(0);
    expect(s.due(110.5)).toBe(5);
    expect(s.total).toBe(10);
  });
  it('catches up after a stall in bursts of at most 5 % of a second', () => {
    const s = new FixedRateSchedule(1000, 0);
    expect(s.due(200)).toBe(50);
    expect(s.due(200)).toBe(50);
    expect(s.due(200)).toBe(50);
    expect(s.due(200)).toBe(50);
    expect(s.due(200)).toBe(0);
    expect(s.total).toBe(200);
  });
  it('sends one at a time at low rates', () => {
    const s = new FixedRateSchedule(10, 0);
    expect(s.due(99)).toBe(0);
    expect(s.due(100)).toBe(1);
    expect(s.due(350)).toBe(1);
    expect(s.due(350)).toBe(1);
    expect(s.due(350)).toBe(0);
  });
  it('refuses a rate it cannot keep', () => {
    expect(() => new FixedRateSchedule(0, 0)).toThrow(RangeError);
    expect(() => new FixedRateSchedule(Number.POSITIVE_INFINITY, 0)).toThrow(RangeError);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('fixedRate', () => {
  it('is a share of the direct maximum, rounded to 10/s, at least 10/s', () => {
    expect(fixedRate(12_345, 0.5)).toBe(6170);
    expect(fixedRate(3, 0.5)).toBe(10);
    expect(() => fixedRate(1000, 0)).toThrow(RangeError);
    expect(() => fixedRate(1000, 1.5)).toThrow(RangeError);
  });
});

describe('fixedVerdict', () => {
  const turn = (done: number, latenciesMs: number[], proxyCpuUs = 0): FixedTurn => ({ sent: done, done, seconds: 2, latenciesMs, proxyCpuUs });

  it('pools each side, compares achieved rates and says what the proxy adds', () => {
    const direct = [turn(1000, [1, 2, 3]), turn(1000, [1, 1, 2])];
    const proxied = [turn(900, [1.5, 2.5, 3.25], 27_000), turn(1000, [1.25, 2, 9], 30_000)];
    const v = fixedVerdict(500, direct, proxied);
    expect(v.rate).toBe(500);
    expect(v.directPerSecond).toBe(500);
    expect(v.proxiedPerSecond).toBe(475);
    expect(v.ratio).toBe(0.95);
    // direct sorted 1,1,1,2,2,3; proxied 1.25,1.5,2,2.5,3.25,9
    expect(v.p50).toEqual({ direct: 1, proxied: 2, added: 1 });
    expect(v.p99).toEqual({ direct: 3, proxied: 9, added: 6 });
    expect(v.proxyCpuUsPerUnit).toBe(30);
  });
  it('sorts numerically, not as text', () => {
    const v = fixedVerdict(10, [turn(3, [10, 9, 100])], [turn(3, [10, 9, 100])]);
    expect(v.p50.direct).toBe(10);
    expect(v.p99.direct).toBe(100);
  });
  it('has no CPU figure when none was measured, and no ratio without a direct rate', () => {
    const v = fixedVerdict(10, [turn(0, [])], [turn(5, [1])]);
    expect(v.proxyCpuUsPerUnit).toBeNaN();
    expect(v.ratio).toBe(0);
    expect(v.p50.direct).toBeNaN();
  });
});

describe('cpuVsRelay', () => {
  it('divides the proxy by the relay, and has no figure when either is unknown', () => {
    expect(cpuVsRelay(33, 30)).toBe(1.1);
    expect(cpuVsRelay(Number.NaN, 30)).toBeNaN();
    expect(cpuVsRelay(33, 0)).toBeNaN();
  });
});
