/**
 * An inline SVG of one SLO over a capacity search: x = agents, y = the SLO's observed value on
 * each step's hold window, a dashed line at the SLO's limit, a vertical line at the knee. Points
 * are green (met), red (broke) or grey (invalid: the harness was saturated). No scripts.
 */
import type { CapacitySummary } from '../capacity/types.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { escapeXml, fmtMs, fmtNum, fmtPct } from './format.js';

const W = 860;
const H = 260;
const M = { left: 64, right: 24, top: 40, bottom: 36 };
const COLOR = { pass: '#137333', fail: '#c5221f', other: '#9aa0a6' } as const;

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function capacityChart(c: CapacitySummary, expression: string): string {
  let limit: number | undefined;
  let format: (v: number) => string = fmtNum;
  try {
    const t = parseThreshold(expression);
    limit = t.value;
    format = t.unit === 'ms' ? fmtMs : t.unit === 'ratio' ? fmtPct : fmtNum;
  } catch {
    // An expression that no longer parses still gets its points.
  }
  const points = c.steps.map((s) => ({ step: s, observed: s.slos.find((r) => r.expression === expression)?.observed ?? null }));
  const agents = c.steps.map((s) => s.agents);
  const xMin = Math.min(0, ...agents);
  const xMax = niceMax(Math.max(1, ...agents, c.knee ?? 0) * 1.05);
  const yMax = niceMax(Math.max(limit ?? 0, ...points.map((p) => p.observed ?? 0)) * 1.1);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (a: number) => M.left + ((a - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (v: number) => M.top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  const title = `${expression} by agent count (hold window of each step)`;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeXml(title)}">`];
  parts.push(`<text x="${M.left}" y="16" class="t">${escapeXml(title)}</text>`);
  for (const f of [0, 0.5, 1]) {
    const gy = M.top + plotH - f * plotH;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${gy}" y2="${gy}" class="g"/>`);
    parts.push(`<text x="${M.left - 6}" y="${gy + 4}" text-anchor="end">${escapeXml(format(f * yMax))}</text>`);
  }
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const a = xMin + f * (xMax - xMin);
    parts.push(`<text x="${x(a).toFixed(1)}" y="${H - 18}" text-anchor="middle">${escapeXml(fmtNum(Math.round(a)))}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 4}" text-anchor="middle">agents</text>`);
  if (limit !== undefined) {
    parts.push(
      `<line class="slo-limit" x1="${M.left}" x2="${W - M.right}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="${COLOR.fail}" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.right}" y="${(y(limit) - 4).toFixed(1)}" text-anchor="end" fill="${COLOR.fail}">SLO ${escapeXml(format(limit))}</text>`,
    );
  }
  if (c.knee !== null) {
    parts.push(
      `<line class="knee" x1="${x(c.knee).toFixed(1)}" x2="${x(c.knee).toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#1a73e8" stroke-dasharray="3 3"/>`,
      `<text x="${(x(c.knee) + 4).toFixed(1)}" y="${M.top + 12}" fill="#1a73e8">knee ${c.knee}</text>`,
    );
  }
  for (const p of points) {
    if (p.observed === null) continue;
    const color = p.step.verdict === 'pass' ? COLOR.pass : p.step.verdict === 'fail' ? COLOR.fail : COLOR.other;
    parts.push(
      `<circle class="step" cx="${x(p.step.agents).toFixed(1)}" cy="${y(p.observed).toFixed(1)}" r="4" fill="${color}">` +
        `<title>${escapeXml(`step ${p.step.index} (${p.step.kind}): ${p.step.agents} agents, ${format(p.observed)}, ${p.step.verdict}`)}</title></circle>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
