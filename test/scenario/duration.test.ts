import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/scenario/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['0.1s', 100],
    ['0', 0],
    ['0s', 0],
    [' 5s ', 5_000],
    [1234, 1234],
    [0, 0],
  ] as const)('%j -> %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['3x', 'expected a duration like "30s", got "3x" (units: ms, s, m, h)'],
    ['', 'expected a duration like "30s", got "" (units: ms, s, m, h)'],
    ['500', 'expected a duration like "30s", got "500" (add a unit: "500ms" or "500s")'],
    ['-5s', 'expected a duration like "30s", got "-5s" (durations cannot be negative)'],
    ['5 s', 'expected a duration like "30s", got "5 s" (units: ms, s, m, h)'],
    ['1d', 'expected a duration like "30s", got "1d" (units: ms, s, m, h)'],
    [-1, 'expected a duration like "30s", got -1 (a number of milliseconds >= 0)'],
    [Number.NaN, 'expected a duration like "30s", got NaN (a number of milliseconds >= 0)'],
  ] as const)('rejects %j', (input, message) => {
    expect(() => parseDuration(input)).toThrow(message);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1_500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_723_004, '1h2m3.004s'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1_000, 61_500, 3_599_999, 7_200_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
