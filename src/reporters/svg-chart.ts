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

/**
 * A shaded time span drawn behind the lines: a fault window (`fault`) and the time the fleet
 * took to recover after it (`recovery`). Times in seconds on the chart's x scale.
 */
export interface ChartBand {
  fromSeconds: number;
  toSeconds: number;
  kind: 'fault' | 'recovery';
  /** Printed at the top of a fault band; empty for none. */
  label: string;
  /** Hover text. */
  title: string;
}

const BAND_FILL = { fault: '#c5221f', recovery: '#f9ab00' } as const;
const BAND_OPACITY = { fault: 0.18, recovery: 0.13 } as const;
/** An instant fault still gets a visible band. */
const MIN_BAND_PX = 3;

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

export function lineChart(title: string, xSeconds: readonly number[], series: readonly ChartSeries[], bands: readonly ChartBand[] = []): string {
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
      parts.push(
        `<text x="${tx}" y="${gy + 4}" text-anchor="${axis === 'left' ? 'end' : 'start'}" fill="${s.color}">${escapeXml(s.format(f * max[axis]))}</text>`,
      );
    }
  }
  parts.push(...bandParts(bands, xSeconds, x, plotH));
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

/**
 * x of a moment in seconds: interpolated between the x steps (each step is the first second of
 * its bucket), clamped to the plot.
 */
function xAtSecond(sec: number, xSeconds: readonly number[], x: (i: number) => number): number {
  const n = xSeconds.length;
  if (n === 0) return M.left;
  if (n === 1 || sec <= xSeconds[0]!) return x(0);
  for (let i = 1; i < n; i++) {
    if (sec <= xSeconds[i]!) {
      const a = xSeconds[i - 1]!;
      const b = xSeconds[i]!;
      return x(i - 1) + ((sec - a) / (b - a || 1)) * (x(i) - x(i - 1));
    }
  }
  // Past the last step: extend at the same pace, but stay inside the plot.
  const step = xSeconds[n - 1]! - xSeconds[n - 2]! || 1;
  return Math.min(W - M.right, x(n - 1) + ((sec - xSeconds[n - 1]!) / step) * (x(n - 1) - x(n - 2)));
}

function bandParts(bands: readonly ChartBand[], xSeconds: readonly number[], x: (i: number) => number, plotH: number): string[] {
  const parts: string[] = [];
  // Recovery bands first, so fault bands sit on top of them.
  const ordered = [...bands.filter((b) => b.kind === 'recovery'), ...bands.filter((b) => b.kind === 'fault')];
  let labelRow = 0;
  for (const band of ordered) {
    let x1 = xAtSecond(band.fromSeconds, xSeconds, x);
    let x2 = xAtSecond(Math.max(band.fromSeconds, band.toSeconds), xSeconds, x);
    if (band.kind === 'fault' && x2 - x1 < MIN_BAND_PX) {
      x1 = Math.max(M.left, x1 - MIN_BAND_PX / 2);
      x2 = x1 + MIN_BAND_PX;
    }
    if (x2 <= x1) continue;
    parts.push(
      `<rect class="${band.kind}-band" x="${x1.toFixed(1)}" y="${M.top}" width="${(x2 - x1).toFixed(1)}" height="${plotH}" ` +
        `fill="${BAND_FILL[band.kind]}" fill-opacity="${BAND_OPACITY[band.kind]}"><title>${escapeXml(band.title)}</title></rect>`,
    );
    if (band.kind === 'fault' && band.label !== '') {
      // Alternate two rows so labels of faults close together do not overprint.
      const ly = M.top + 12 + (labelRow++ % 2) * 13;
      parts.push(`<text class="fault-label" x="${(x1 + 3).toFixed(1)}" y="${ly}" fill="${BAND_FILL.fault}">${escapeXml(band.label)}</text>`);
    }
  }
  return parts;
}
