import { escapeXml } from './format.js';
import { fmtSeconds, legendRows, legendSvg, niceMax, tickFractions, timeStep } from './svg-axes.js';

/** A tiny inline-SVG line chart over run time (no scripts, no external assets) for the HTML report. */
export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x step; null leaves a gap. */
  values: readonly (number | null)[];
  axis: 'left' | 'right';
  format: (v: number) => string;
  dashed?: boolean;
}

/**
 * A shaded time span drawn behind the lines: a fault window (`fault`), the time the fleet took
 * to recover after it (`recovery`), seconds the harness was saturated (`saturated`). Times in
 * seconds on the chart's x scale.
 */
export interface ChartBand {
  fromSeconds: number;
  toSeconds: number;
  kind: 'fault' | 'recovery' | 'saturated';
  /** Printed at the top of a fault band; empty for none. */
  label: string;
  /** Hover text. */
  title: string;
}

export interface ChartOptions {
  bands?: readonly ChartBand[];
  /** viewBox size; the page scales it to its column (keep it near the column's width so 12 px
   * text stays 12 px). Default 1040 × 300. */
  width?: number;
  height?: number;
  /** Axis titles with their unit, e.g. `requests/s`, `latency (ms)`. */
  leftTitle?: string;
  rightTitle?: string;
  /** The x domain in seconds (default: the first and last x step), so stacked charts line up. */
  domain?: readonly [number, number];
  /** Each axis reaches at least this value (e.g. 100 for a CPU %), so a calm run looks calm. */
  axisFloor?: { left?: number; right?: number };
  /** A short line under the title, e.g. what a bucket means when the series was folded. */
  note?: string;
}

const BAND_FILL = { fault: '#c5221f', recovery: '#f9ab00', saturated: '#5f6368' } as const;
const BAND_OPACITY = { fault: 0.18, recovery: 0.13, saturated: 0.22 } as const;
/** An instant fault still gets a visible band. */
const MIN_BAND_PX = 3;

/** Left/right margins hold tick labels plus a rotated axis title; the bottom the time ticks. */
const M = { left: 78, right: 78, bottom: 40 };

export function lineChart(title: string, xSeconds: readonly number[], series: readonly ChartSeries[], options: ChartOptions = {}): string {
  const W = options.width ?? 1040;
  const H = options.height ?? 300;
  const legend = legendRows(
    series.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed })),
    W - M.left - M.right,
  );
  const top = 24 + (options.note ? 16 : 0) + legend.length * 16 + 10;
  const plotW = W - M.left - M.right;
  const plotH = H - top - M.bottom;
  const n = xSeconds.length;
  const [x0, x1] = options.domain ?? [xSeconds[0] ?? 0, xSeconds[n - 1] ?? 1];
  const span = x1 - x0 > 0 ? x1 - x0 : 1;
  const xAt = (sec: number) => M.left + Math.min(1, Math.max(0, (sec - x0) / span)) * plotW;
  const maxOf = (axis: 'left' | 'right') =>
    niceMax(
      Math.max(
        options.axisFloor?.[axis] ?? 0,
        ...series.filter((s) => s.axis === axis).flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v))),
      ),
    );
  const max = { left: maxOf('left'), right: maxOf('right') };
  const y = (v: number, axis: 'left' | 'right') => top + plotH - (Math.min(v, max[axis]) / max[axis]) * plotH;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeXml(title)}">`);
  parts.push(`<text x="${M.left}" y="16" class="t">${escapeXml(title)}</text>`);
  if (options.note) parts.push(`<text x="${M.left}" y="34" class="n">${escapeXml(options.note)}</text>`);
  parts.push(...legendSvg(legend, M.left, 24 + (options.note ? 16 : 0) + 14));
  // Horizontal grid with tick labels on each used axis.
  for (const f of tickFractions(plotH)) {
    const gy = top + plotH - f * plotH;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${gy}" y2="${gy}" class="g"/>`);
    for (const axis of ['left', 'right'] as const) {
      const s = series.find((c) => c.axis === axis);
      if (!s) continue;
      const tx = axis === 'left' ? M.left - 6 : W - M.right + 6;
      parts.push(`<text x="${tx}" y="${gy + 4}" text-anchor="${axis === 'left' ? 'end' : 'start'}">${escapeXml(s.format(f * max[axis]))}</text>`);
    }
  }
  parts.push(...axisTitles(options, W, top, plotH, series));
  parts.push(...bandParts(options.bands ?? [], xAt, top, plotH));
  // Time ticks under the plot.
  const step = timeStep(span, Math.max(2, Math.floor(plotW / 90)));
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${top + plotH}" y2="${top + plotH}" class="a"/>`);
  for (let t = Math.ceil(x0 / step) * step; t <= x1 + 1e-9; t += step) {
    const tx = xAt(t).toFixed(1);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top + plotH}" y2="${top + plotH + 4}" class="a"/>`);
    parts.push(`<text x="${tx}" y="${top + plotH + 16}" text-anchor="middle">${fmtSeconds(t)}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 4}" text-anchor="middle" class="at">time since start</text>`);
  for (const s of series) parts.push(...seriesParts(s, xSeconds, xAt, (v) => y(v, s.axis)));
  parts.push('</svg>');
  return parts.join('\n');
}

/** Rotated titles beside the y axes, in the colour of the axis's first series when both are used. */
function axisTitles(options: ChartOptions, W: number, top: number, plotH: number, series: readonly ChartSeries[]): string[] {
  const parts: string[] = [];
  const cy = top + plotH / 2;
  const both = series.some((s) => s.axis === 'left') && series.some((s) => s.axis === 'right');
  const colour = (axis: 'left' | 'right') => (both ? ` style="fill:${series.find((s) => s.axis === axis)!.color}"` : '');
  if (options.leftTitle && series.some((s) => s.axis === 'left')) {
    parts.push(`<text transform="translate(14 ${cy}) rotate(-90)" text-anchor="middle" class="at"${colour('left')}>${escapeXml(options.leftTitle)}</text>`);
  }
  if (options.rightTitle && series.some((s) => s.axis === 'right')) {
    parts.push(
      `<text transform="translate(${W - 10} ${cy}) rotate(-90)" text-anchor="middle" class="at"${colour('right')}>${escapeXml(options.rightTitle)}</text>`,
    );
  }
  return parts;
}

function seriesParts(s: ChartSeries, xSeconds: readonly number[], xAt: (sec: number) => number, y: (v: number) => number): string[] {
  const parts: string[] = [];
  const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
  // Split at nulls so gaps stay gaps.
  let run: [number, number][] = [];
  const flush = () => {
    if (run.length === 1) parts.push(`<circle cx="${run[0]![0].toFixed(1)}" cy="${run[0]![1].toFixed(1)}" r="2" fill="${s.color}"/>`);
    else if (run.length > 1) {
      parts.push(
        `<polyline points="${run.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.6"${dash}/>`,
      );
    }
    run = [];
  };
  s.values.forEach((v, i) => {
    const sec = xSeconds[i];
    if (v === null || !Number.isFinite(v) || sec === undefined) flush();
    else run.push([xAt(sec), y(v)]);
  });
  flush();
  return parts;
}

function bandParts(bands: readonly ChartBand[], xAt: (sec: number) => number, top: number, plotH: number): string[] {
  const parts: string[] = [];
  // Saturated and recovery bands first, so fault bands sit on top of them.
  const order = { saturated: 0, recovery: 1, fault: 2 } as const;
  const ordered = [...bands].sort((a, b) => order[a.kind] - order[b.kind]);
  let labelRow = 0;
  for (const band of ordered) {
    let x1 = xAt(band.fromSeconds);
    let x2 = xAt(Math.max(band.fromSeconds, band.toSeconds));
    if (band.kind !== 'recovery' && x2 - x1 < MIN_BAND_PX) {
      x1 = Math.max(M.left, x1 - MIN_BAND_PX / 2);
      x2 = x1 + MIN_BAND_PX;
    }
    if (x2 <= x1) continue;
    parts.push(
      `<rect class="${band.kind}-band" x="${x1.toFixed(1)}" y="${top}" width="${(x2 - x1).toFixed(1)}" height="${plotH}" ` +
        `fill="${BAND_FILL[band.kind]}" fill-opacity="${BAND_OPACITY[band.kind]}"><title>${escapeXml(band.title)}</title></rect>`,
    );
    if (band.kind === 'fault' && band.label !== '') {
      // Alternate two rows so labels of faults close together do not overprint.
      const ly = top + 12 + (labelRow++ % 2) * 13;
      parts.push(`<text class="fault-label" x="${(x1 + 3).toFixed(1)}" y="${ly}" fill="${BAND_FILL.fault}">${escapeXml(band.label)}</text>`);
    }
  }
  return parts;
}
