import { escapeXml } from './format.js';

/** A tiny inline-SVG line chart (no scripts, no external assets) for the HTML report. */
export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x step; null leaves a gap. */
  values: readonly (number | null)[];
  axis: 'left' | 'right';
  format: (v: number) => string;
}

const W = 860;
const H = 276;
// The top margin holds the title line and, under it, the legend line.
const M = { left: 64, right: 64, top: 44, bottom: 32 };

/** Rounds up to 1, 2 or 5 × 10^k so axis labels are round. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function lineChart(title: string, xSeconds: readonly number[], series: readonly ChartSeries[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const n = xSeconds.length;
  const x = (i: number) => M.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const maxOf = (axis: 'left' | 'right') =>
    niceMax(Math.max(0, ...series.filter((s) => s.axis === axis).flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)))));
  const max = { left: maxOf('left'), right: maxOf('right') };
  const y = (v: number, axis: 'left' | 'right') => M.top + plotH - (v / max[axis]) * plotH;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeXml(title)}">`);
  parts.push(`<text x="${M.left}" y="16" class="t">${escapeXml(title)}</text>`);
  // Grid and axis labels at 0, ½ and the top.
  for (const f of [0, 0.5, 1]) {
    const gy = M.top + plotH - f * plotH;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${gy}" y2="${gy}" class="g"/>`);
    for (const axis of ['left', 'right'] as const) {
      const s = series.find((c) => c.axis === axis);
      if (!s) continue;
      const tx = axis === 'left' ? M.left - 6 : W - M.right + 6;
      parts.push(`<text x="${tx}" y="${gy + 4}" text-anchor="${axis === 'left' ? 'end' : 'start'}" fill="${s.color}">${escapeXml(s.format(f * max[axis]))}</text>`);
    }
  }
  if (n > 0) {
    parts.push(`<text x="${M.left}" y="${H - 8}">${xSeconds[0]}s</text>`);
    parts.push(`<text x="${W - M.right}" y="${H - 8}" text-anchor="end">${xSeconds[n - 1]}s</text>`);
  }
  for (const s of series) {
    // Split at nulls so gaps stay gaps.
    let run: string[] = [];
    const flush = () => {
      if (run.length === 1) parts.push(`<circle cx="${run[0]!.split(',')[0]}" cy="${run[0]!.split(',')[1]}" r="2" fill="${s.color}"/>`);
      else if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) flush();
      else run.push(`${x(i).toFixed(1)},${y(v, s.axis).toFixed(1)}`);
    });
    flush();
  }
  // Legend.
  series.forEach((s, i) => {
    const lx = M.left + i * 190;
    parts.push(`<rect x="${lx}" y="25" width="12" height="3" fill="${s.color}"/><text x="${lx + 16}" y="31">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
