import { describe, expect, it } from 'vitest';
import type { GcSummary, RunSummary } from '../../src/metrics/summary-types.js';
import { renderConsole } from '../../src/reporters/console.js';
import { gcLine, gcPauseNotes, gcProperties } from '../../src/reporters/gc-format.js';
import { handFedSummary } from '../metrics/fixtures.js';

const GC: GcSummary = {
  totalPauseMs: 1234.5,
  pausedPercent: 0.82,
  pauses: 412,
  maxPauseMs: 180,
  maxPauseKind: 'major',
  majorCount: 3,
  majorPauseMs: 310,
  worstSecond: 1,
  worstSecondPauseMs: 210,
  byKind: { minor: { pauses: 409, pauseMs: 924.5 }, major: { pauses: 3, pauseMs: 310 } },
  longPauses: [
    { t: 1, pauseMs: 180, kind: 'major' },
    { t: 99, pauseMs: 60, kind: 'minor' },
  ],
  longPauseMs: 50,
};

function withGc(): RunSummary {
  const s = handFedSummary();
  s.generator = {
    eventLoopDelayMs: { p50: 1, p99: 5, max: 190 },
    cpuPercent: { mean: 30, max: 60 },
    maxRssBytes: 200_000_000,
    seconds: 10,
    saturatedSeconds: 1,
    verdict: 'ok',
    gc: GC,
  };
  return s;
}

describe('GC figures in words', () => {
  it('one line with the totals, the longest pause, the major collections and the worst second', () => {
    expect(gcLine(GC)).toBe('paused 1.23s (0.82% of the run) in 412 pauses · longest 180ms (major) · 3 major (310ms) · worst second t=1: 210ms');
    expect(gcLine({ ...GC, pauses: 0, totalPauseMs: 0, maxPauseKind: null, worstSecond: null })).toBe('no pauses');
  });

  it('names each long pause with the request p99 of its second, when that second is in the series', () => {
    const s = withGc();
    const notes = gcPauseNotes(s);
    // The fixture's second 1 has a request p99 of 22.015 ms; second 99 is past its series.
    expect(notes[0]).toBe('second 1: a 180ms major GC pause (request p99 that second 22.0ms)');
    expect(notes[1]).toBe('second 99: a 60.0ms minor GC pause');
    expect(gcPauseNotes(s, 1)).toHaveLength(1);
    expect(gcPauseNotes(handFedSummary())).toEqual([]);
  });

  it('the console prints one gc line; JUnit gets gc.* properties', () => {
    const s = withGc();
    const gcLines = renderConsole(s)
      .split('\n')
      .filter((l) => l.startsWith('gc '));
    expect(gcLines).toHaveLength(1);
    expect(gcLines[0]).toContain('gc           paused 1.23s');
    expect(gcLines[0]).toContain('second 1: a 180ms major GC pause');
    expect(gcProperties(s)).toEqual([
      ['gc.pauseMs', '1234.5'],
      ['gc.pausedPercent', '0.82'],
      ['gc.maxPauseMs', '180'],
      ['gc.majorCount', '3'],
      ['gc.worstSecondPauseMs', '210'],
    ]);
    expect(gcProperties(handFedSummary())).toEqual([]);
  });
});
