/**
 * The harness's health over the run: its CPU and event-loop delay per sampled second, with the
 * seconds that broke the saturation limits shaded, so a saturated period is visible next to the
 * figures it inflated. From `generator.perSecond`; without it only the one-line summary remains.
 */
import type { GeneratorPerSecond, RunSummary } from '../../metrics/summary-types.js';
import { SATURATION_RULE } from '../../observe/saturation.js';
import { escapeXml as esc, fmtMs, fmtNum, generatorLine } from '../format.js';
import { gcLine, gcPauseNotes } from '../gc-format.js';
import { lineChart, type ChartBand } from '../svg-chart.js';
import { MAX_POINTS } from './time-charts.js';

/** Consecutive saturated samples as bands; a sample ending at `atS` covers [atS − 1, atS). */
function saturatedBands(g: GeneratorPerSecond): ChartBand[] {
  const bands: ChartBand[] = [];
  let from: number | undefined;
  let count = 0;
  const close = (to: number) => {
    if (from === undefined) return;
    bands.push({ kind: 'saturated', fromSeconds: from, toSeconds: to, label: '', title: `harness saturated for ${count} s` });
    from = undefined;
    count = 0;
  };
  g.saturated.forEach((s, i) => {
    const at = g.atS[i]!;
    if (s) {
      from ??= Math.max(0, at - 1);
      count++;
    } else close(Math.max(0, at - 1));
  });
  close(g.atS[g.atS.length - 1] ?? 0);
  return bands;
}

/** Folds samples into at most MAX_POINTS points (worst of each bucket). */
function foldSamples(g: GeneratorPerSecond): { xs: number[]; p99: number[]; cpu: number[] } {
  const width = Math.max(1, Math.ceil(g.atS.length / MAX_POINTS));
  const xs: number[] = [];
  const p99: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < g.atS.length; i += width) {
    // A sample is drawn mid-window, like a time-series point at the start of its second.
    xs.push(Math.max(0, g.atS[i]! - 1));
    p99.push(Math.max(...g.eventLoopP99Ms.slice(i, i + width)));
    cpu.push(Math.max(...g.cpuPercent.slice(i, i + width)));
  }
  return { xs, p99, cpu };
}

export function healthHtml(summary: RunSummary, domain: [number, number] | undefined, faultBands: readonly ChartBand[]): string[] {
  const g = summary.generator;
  if (!g) return [];
  const out = ['<h2>Harness health</h2>', `<p>${esc(generatorLine(g))}</p>`];
  if (g.gc) out.push(`<p>${esc([`GC ${gcLine(g.gc)}`, ...gcPauseNotes(summary, 3)].join(' · '))}</p>`);
  const ps = g.perSecond;
  if (!ps || ps.atS.length === 0) return out;
  const { xs, p99, cpu } = foldSamples(ps);
  const rule = `a second is saturated when the event-loop p99 is over ${fmtMs(SATURATION_RULE.eventLoopP99Ms)} or CPU at ${SATURATION_RULE.cpuPercent}% of one core or more`;
  out.push(
    `<div class="chart">${lineChart(
      'Generator health (the harness itself, not the target)',
      xs,
      [
        { label: 'CPU, % of one core', color: '#1a73e8', axis: 'left', values: cpu, format: (v) => `${fmtNum(Math.round(v))}%` },
        { label: 'event-loop delay p99', color: '#e8710a', axis: 'right', values: p99, format: fmtMs },
      ],
      {
        bands: [...faultBands, ...saturatedBands(ps)],
        domain: domain ?? [0, Math.max(1, ps.atS[ps.atS.length - 1]!)],
        height: 240,
        axisFloor: { left: 100, right: SATURATION_RULE.eventLoopP99Ms },
        leftTitle: 'CPU (%)',
        rightTitle: 'delay (ms)',
        note: `grey: saturated seconds (${rule})`,
      },
    )}</div>`,
  );
  return out;
}
