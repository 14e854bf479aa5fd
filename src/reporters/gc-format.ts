/** The harness's GC figures in words, the same for every reporter. */
import type { GcSummary, RunSummary } from '../metrics/summary-types.js';
import { fmtMs, fmtNum } from './format.js';

/**
 * One line, without a label: `paused 1.23s (0.82% of the run) in 412 pauses · longest 180ms (major) ·
 * 3 major (310ms) · worst second t=42: 210ms`.
 */
export function gcLine(gc: GcSummary): string {
  if (gc.pauses === 0) return 'no pauses';
  const longest = `longest ${fmtMs(gc.maxPauseMs)}${gc.maxPauseKind ? ` (${gc.maxPauseKind})` : ''}`;
  const major = `${fmtNum(gc.majorCount)} major${gc.majorCount > 0 ? ` (${fmtMs(gc.majorPauseMs)})` : ''}`;
  const worst = gc.worstSecond !== null ? ` · worst second t=${gc.worstSecond}: ${fmtMs(gc.worstSecondPauseMs)}` : '';
  return `paused ${fmtMs(gc.totalPauseMs)} (${fmtNum(gc.pausedPercent)}% of the run) in ${fmtNum(gc.pauses)} pauses · ${longest} · ${major}${worst}`;
}

/**
 * Each long GC pause (at least `longPauseMs`) in words, next to the request p99 of its second, so
 * a slow second can be told apart: `second 42: a 180ms major GC pause (request p99 that second
 * 291ms)`. Longest first; empty when there was none.
 */
export function gcPauseNotes(summary: RunSummary, limit = 10): string[] {
  const gc = summary.generator?.gc;
  if (!gc) return [];
  const byT = new Map(summary.timeSeries.map((row) => [row.t, row]));
  return gc.longPauses.slice(0, limit).map((p) => {
    const row = byT.get(p.t);
    const p99 = row?.p99Ms !== null && row?.p99Ms !== undefined ? ` (request p99 that second ${fmtMs(row.p99Ms)})` : '';
    return `second ${p.t}: a ${fmtMs(p.pauseMs)} ${p.kind} GC pause${p99}`;
  });
}

/** JUnit properties for the GC figures (empty without them). */
export function gcProperties(summary: RunSummary): [string, string][] {
  const gc = summary.generator?.gc;
  if (!gc) return [];
  return [
    ['gc.pauseMs', String(gc.totalPauseMs)],
    ['gc.pausedPercent', String(gc.pausedPercent)],
    ['gc.maxPauseMs', String(gc.maxPauseMs)],
    ['gc.majorCount', String(gc.majorCount)],
    ['gc.worstSecondPauseMs', String(gc.worstSecondPauseMs)],
  ];
}
