/**
 * Axis helpers shared by the inline-SVG charts of the HTML report: round axis maxima, time tick
 * steps and labels, the legend layout. Pure functions of numbers and strings, no markup state.
 */
import { escapeXml } from './format.js';

/** Rounds up to 1, 2 or 5 × 10^k so axis labels are round. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Fractions of a `niceMax` value (1, 2 or 5 × 10^k) at which to draw ticks: fifths keep every
 * label round on either axis (0.2, 0.4 / 4, 8 / 10, 20 …); halves when the plot is short.
 */
export function tickFractions(plotH: number): number[] {
  return plotH < 140 ? [0, 0.5, 1] : [0, 0.2, 0.4, 0.6, 0.8, 1];
}

/** Tick steps of a time axis, in seconds. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400];

/** A tick step that puts at most `maxTicks` ticks on a span of `spanSeconds`. */
export function timeStep(spanSeconds: number, maxTicks: number): number {
  for (const step of TIME_STEPS) if (spanSeconds / step <= maxTicks) return step;
  return TIME_STEPS[TIME_STEPS.length - 1]!;
}

/** `45s`, `2m`, `2m30s`, `1h`, `1h05m`: short labels for a time axis. */
export function fmtSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 120) return `${t}s`;
  if (t < 3600) return t % 60 === 0 ? `${t / 60}m` : `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  const m = Math.floor((t % 3600) / 60);
  return m === 0 ? `${Math.floor(t / 3600)}h` : `${Math.floor(t / 3600)}h${String(m).padStart(2, '0')}m`;
}

/** Rough width of a text in px at the charts' 12 px font (no layout engine on the server). */
export function textWidth(text: string): number {
  return [...text].length * 6.8;
}

export interface LegendItem {
  label: string;
  color: string;
  /** Dashed sample line. */
  dashed?: boolean;
}

/** Legend rows under the title: items wrap to a new row rather than overprint. */
export function legendRows(items: readonly LegendItem[], width: number): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const item of items) {
    const w = 24 + textWidth(item.label) + 18;
    if (used > 0 && used + w > width) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1]!.push(item);
    used += w;
  }
  return rows.filter((r) => r.length > 0);
}

/** The legend's markup: row `i` at y = top + i × 16. */
export function legendSvg(rows: readonly LegendItem[][], left: number, top: number): string[] {
  const parts: string[] = [];
  rows.forEach((row, r) => {
    let x = left;
    const y = top + r * 16;
    for (const item of row) {
      const dash = item.dashed ? ' stroke-dasharray="5 3"' : '';
      parts.push(
        `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${item.color}" stroke-width="2.5"${dash}/>` +
          `<text x="${x + 24}" y="${y}">${escapeXml(item.label)}</text>`,
      );
      x += 24 + textWidth(item.label) + 18;
    }
  });
  return parts;
}

/** Distinct line colours, in order of use. */
export const PALETTE = ['#1a73e8', '#e8710a', '#137333', '#9334e6', '#c5221f', '#12a4af', '#b06000', '#e52592', '#5f6368', '#185abc', '#7cb342', '#795548'];
