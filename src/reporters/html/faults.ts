/**
 * The faults of a run in the HTML report: the bands every time chart shades, a timeline with one
 * row per fault (its window, then its recovery), the faults table and the fault proxy's counters.
 */
import type { RunSummary } from '../../metrics/summary-types.js';
import { faultErrorTotal, fmtAt, fmtBaseline, fmtFaultErrors, fmtRecovered, fmtWindow } from '../faults-format.js';
import { escapeXml as esc, fmtMs, fmtNum } from '../format.js';
import { fmtBytes } from '../pty-format.js';
import { fmtSeconds, textWidth, timeStep } from '../svg-axes.js';
import type { ChartBand } from '../svg-chart.js';
import { table } from './table.js';

/**
 * The chart bands of every fault: its window, then the time until the fleet recovered (to the
 * end of the run when it never did). A chart point at bucket start t stands for the bucket
 * [t, t + width), so a moment T is drawn at T − width/2: a fault in second 10 lands on the
 * point of second 10, not half a step after it.
 */
export function faultBands(summary: RunSummary, bucketSeconds: number): ChartBand[] {
  const runEndSeconds = summary.timeSeries.length;
  const at = (ms: number) => ms / 1000 - bucketSeconds / 2;
  const bands: ChartBand[] = [];
  for (const f of summary.faults ?? []) {
    const title = `${f.action} ${fmtWindow(f)}: ${f.recoveredAfterMs === null ? 'not recovered' : `recovered after ${fmtMs(f.recoveredAfterMs)}`}`;
    bands.push({ kind: 'fault', fromSeconds: at(f.at), toSeconds: at(f.endedAt), label: f.action, title });
    const recoveredAt = f.recoveredAfterMs === null ? runEndSeconds : (f.endedAt + f.recoveredAfterMs) / 1000;
    bands.push({
      kind: 'recovery',
      fromSeconds: at(f.endedAt),
      toSeconds: recoveredAt - bucketSeconds / 2,
      label: '',
      title: `${title} (recovering from ${fmtAt(f.endedAt)})`,
    });
  }
  return bands;
}

const ROW = 22;

/** One row per fault on the run's time axis: red while the fault was on, amber until recovery. */
function faultTimeline(summary: RunSummary): string {
  const faults = summary.faults ?? [];
  const runS = Math.max(1, summary.timeSeries.length, summary.meta.durationMs / 1000);
  const labelW = Math.min(260, Math.max(120, ...faults.map((f) => textWidth(f.action) + 16)));
  const W = 1040;
  const left = labelW;
  const right = 24;
  const top = 28;
  const plotW = W - left - right;
  const H = top + faults.length * ROW + 40;
  const x = (s: number) => left + (Math.min(runS, Math.max(0, s)) / runS) * plotW;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="fault timeline">`];
  parts.push(`<text x="${left}" y="16" class="t">Fault timeline</text>`);
  faults.forEach((f, i) => {
    const y = top + i * ROW;
    const end = f.recoveredAfterMs === null ? runS : (f.endedAt + f.recoveredAfterMs) / 1000;
    const fx = x(f.at / 1000);
    const fw = Math.max(3, x(f.endedAt / 1000) - fx);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y + ROW - 2}" y2="${y + ROW - 2}" class="g"/>`);
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(f.action)}</text>`);
    parts.push(
      `<rect class="recovery-bar" x="${(fx + fw).toFixed(1)}" y="${y + 4}" width="${Math.max(0, x(end) - fx - fw).toFixed(1)}" height="${ROW - 8}" fill="#f9ab00" fill-opacity="0.45"><title>${esc(`recovering: ${fmtRecovered(f)}`)}</title></rect>`,
      `<rect class="fault-bar" x="${fx.toFixed(1)}" y="${y + 4}" width="${fw.toFixed(1)}" height="${ROW - 8}" fill="#c5221f" fill-opacity="0.75"><title>${esc(`${f.action} ${fmtWindow(f)}`)}</title></rect>`,
    );
    const text = f.recoveredAfterMs === null ? 'never recovered' : `recovered after ${fmtMs(f.recoveredAfterMs)}`;
    // The verdict goes right of the bars, or left of the fault when there is no room after them.
    const after = x(end) + 6;
    const fits = after + textWidth(text) < W - right;
    parts.push(
      `<text x="${(fits ? after : fx - 6).toFixed(1)}" y="${y + 15}" text-anchor="${fits ? 'start' : 'end'}"${f.recoveredAfterMs === null ? ' class="fault-label"' : ''}>${esc(text)}</text>`,
    );
  });
  const axisY = top + faults.length * ROW + 4;
  const step = timeStep(runS, Math.floor(plotW / 90));
  for (let t = 0; t <= runS + 1e-9; t += step) parts.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 12}" text-anchor="middle">${fmtSeconds(t)}</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${H - 4}" text-anchor="middle" class="at">time since start</text>`);
  parts.push('</svg>');
  return `<div class="chart">${parts.join('\n')}</div>`;
}

export function faultsHtml(summary: RunSummary): string[] {
  const out: string[] = [];
  if (summary.faults && summary.faults.length > 0) {
    out.push('<h2>Faults</h2>');
    out.push(faultTimeline(summary));
    out.push(
      table(
        ['fault', 'at', 'recovered after', 'peak reconnects/s', 'errors', 'top errors', 'baseline'],
        summary.faults.map((f) => [
          `<code>${esc(f.action)}</code>`,
          `<span class="nw">${esc(fmtWindow(f))}</span>`,
          f.recoveredAfterMs === null ? '<span class="never">never</span>' : esc(fmtRecovered(f)),
          esc(fmtNum(f.peakReconnectsPerSecond)),
          esc(fmtNum(faultErrorTotal(f))),
          esc(f.errors.length ? fmtFaultErrors(f) : '-'),
          esc(fmtBaseline(f)),
        ]),
      ),
    );
    out.push(
      '<p class="meta">Shaded on the charts: red, the fault; amber, until the fleet recovered (agents connected and their p99 back to the baseline before the fault, and holding). Errors and reconnects count from the fault to its recovery.</p>',
    );
  }
  const p = summary.proxy;
  if (p) {
    out.push('<h3>Fault proxy</h3>');
    out.push(
      table(
        ['connections', 'peak open (client / target)', 'reset', 'refused', 'target dials failed', 'bytes up / down', 'proxy CPU'],
        [
          [
            fmtNum(p.connectionsOpened),
            `${fmtNum(p.peakClientOpen)} / ${fmtNum(p.peakTargetOpen)}`,
            fmtNum(p.reset),
            fmtNum(p.refused),
            fmtNum(p.targetFailed),
            `${fmtBytes(p.bytesUpstream)} / ${fmtBytes(p.bytesDownstream)}`,
            fmtMs(p.cpuMs),
          ].map(esc),
        ],
      ),
    );
    out.push(`<p class="meta">${esc(p.note)}</p>`);
  }
  return out;
}
