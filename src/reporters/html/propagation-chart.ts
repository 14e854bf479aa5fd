/**
 * The coordinator's propagation latency as a distribution: latency (y) at each percentile (x),
 * the x axis stretched toward the tail ("nines": p90, p99, p99.9 equally spaced) so the tail is
 * as readable as the median. One line for all directions, one per direction when there are two.
 */
import type { PercentilePoint, RunSummary } from '../../metrics/summary-types.js';
import { escapeXml as esc, fmtMs } from '../format.js';
import { legendRows, legendSvg, niceMax, PALETTE, tickFractions } from '../svg-axes.js';

/** Where a percentile sits on the nines axis: p0 → 0, p90 → 1, p99 → 2, p99.9 → 3, p99.99 → 4. */
export const ninesOf = (p: number): number => -Math.log10(1 - Math.min(p, 99.99) / 100);
const TICKS = [0, 50, 90, 99, 99.9, 99.99];
const LAST = ninesOf(99.99);

export function propagationChart(summary: RunSummary): string | undefined {
  const c = summary.coordinator;
  if (!c?.propagationLadder) return undefined;
  const lines: { label: string; points: PercentilePoint[]; color: string; dashed?: boolean }[] = [
    { label: 'all directions', points: c.propagationLadder, color: PALETTE[3]! },
  ];
  const directions = Object.entries(c.byDirection).filter(([, d]) => d.propagationLadder);
  if (directions.length > 1) {
    directions.forEach(([dir, d], i) => {
      lines.push({ label: dir, points: d.propagationLadder!, color: PALETTE[i]!, dashed: true });
    });
  }
  const W = 1040;
  const H = 300;
  const M = { left: 78, right: 40, bottom: 40 };
  const legend = legendRows(lines, W - M.left - M.right);
  const top = 24 + 16 + legend.length * 16 + 10;
  const plotW = W - M.left - M.right;
  const plotH = H - top - M.bottom;
  const body = (pts: PercentilePoint[]) => pts.filter((p) => p.p < 100);
  const yMax = niceMax(Math.max(...lines.flatMap((l) => body(l.points).map((p) => p.ms))));
  const x = (p: number) => M.left + (ninesOf(p) / LAST) * plotW;
  const y = (ms: number) => top + plotH - (Math.min(ms, yMax) / yMax) * plotH;

  const title = 'Coordinator propagation latency by percentile (send → receive of a node update)';
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${M.left}" y="16" class="t">${esc(title)}</text>`);
  const maxes = lines.map((l) => `${l.label} max ${fmtMs(l.points.find((p) => p.p === 100)?.ms ?? null)}`).join(' · ');
  parts.push(`<text x="${M.left}" y="34" class="n">${esc(`x stretched toward the tail; beyond p99.99: ${maxes}`)}</text>`);
  parts.push(...legendSvg(legend, M.left, 54));
  for (const f of tickFractions(plotH)) {
    const gy = top + plotH - f * plotH;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${gy}" y2="${gy}" class="g"/>`);
    parts.push(`<text x="${M.left - 6}" y="${gy + 4}" text-anchor="end">${esc(fmtMs(f * yMax))}</text>`);
  }
  parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" class="at">latency (ms)</text>`);
  for (const p of TICKS) {
    const tx = x(p).toFixed(1);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + plotH + 4}" class="g"/>`);
    parts.push(`<text x="${tx}" y="${top + plotH + 16}" text-anchor="middle">p${p}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 4}" text-anchor="middle" class="at">percentile of updates</text>`);
  for (const l of lines) {
    const pts = body(l.points).map((p) => `${x(p.p).toFixed(1)},${y(p.ms).toFixed(1)}`);
    const dash = l.dashed ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<polyline class="ladder" points="${pts.join(' ')}" fill="none" stroke="${l.color}" stroke-width="1.8"${dash}/>`);
  }
  parts.push('</svg>');
  return `<div class="chart">${parts.join('\n')}</div>`;
}
