/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets or
 * fonts), rendered from the RunSummary alone. Every text that comes from the run (scenario,
 * endpoint and error names, fault actions) is escaped. The parts live in ./html/.
 */
import type { RunSummary } from '../metrics/summary-types.js';
import { capacityHtml } from './capacity-format.js';
import { escapeXml as esc, outcomeLine, saturationNote, shardsLine } from './format.js';
import { faultBands, faultsHtml } from './html/faults.js';
import { healthHtml } from './html/health-strip.js';
import { coordinatorHtml, endpointsHtml, errorsHtml, ptyHtml, rateLimitHtml, steadyHtml, thresholdsHtml, timingHtml } from './html/sections.js';
import { FAULT_STYLE, STYLE } from './html/style.js';
import { endpointCharts, timeAxis, timeCharts } from './html/time-charts.js';

export const HTML_FILE = 'report.html';

export function renderHtml(summary: RunSummary): string {
  const { meta } = summary;
  const body: string[] = [];
  body.push(`<h1>fleetsim: ${esc(meta.scenario)} <span class="badge b-${esc(summary.outcome)}">${esc(summary.outcome)}</span></h1>`);
  body.push(
    `<p class="meta">run <code>${esc(meta.runId)}</code> · target ${esc(meta.target)} · seed ${esc(meta.seed)} · ` +
      `${esc(meta.startedAt)} → ${esc(meta.endedAt)} (${(meta.durationMs / 1000).toFixed(1)}s) · fleetsim ${esc(meta.fleetsimVersion)}</p>`,
  );
  body.push(`<p><strong>${esc(outcomeLine(summary))}</strong></p>`);
  const shards = shardsLine(summary);
  if (shards) body.push(`<p class="${summary.meta.shards?.partial ? 'warn' : 'meta'}">${esc(shards)}</p>`);
  const note = saturationNote(summary);
  if (note) body.push(`<p class="warn">${esc(note)}</p>`);
  body.push(...capacityHtml(summary));
  body.push(...thresholdsHtml(summary));

  const axis = timeAxis(summary, (width) => faultBands(summary, width));
  if (axis) body.push(...timeCharts(summary, axis));
  else body.push('<h2>Over time</h2>', '<p class="meta">No per-second data: the run ended before its first second was recorded.</p>');
  body.push(...healthHtml(summary, axis?.domain, axis?.bands ?? []));
  body.push(...faultsHtml(summary));
  if (axis) body.push(...endpointCharts(summary, axis));
  body.push(...endpointsHtml(summary));
  body.push(...timingHtml(summary));
  body.push(...steadyHtml(summary));
  body.push(...errorsHtml(summary));
  body.push(...coordinatorHtml(summary));
  body.push(...ptyHtml(summary));
  body.push(...rateLimitHtml(summary));

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetsim ${esc(meta.scenario)} — ${esc(summary.outcome)}</title>
<style>${STYLE}${summary.faults?.length ? FAULT_STYLE : ''}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
