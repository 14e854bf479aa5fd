import type { LatencyStats, RunSummary } from '../metrics/summary-types.js';
import { httpModelLine, queuedWarning, TIMING_LEGEND, timingRows } from './timing-format.js';
import { downsample, escapeXml as esc, fmtMs, fmtNum, fmtObserved, fmtPct, generatorLine, outcomeLine, saturationNote, shardsLine } from './format.js';
import { faultErrorTotal, fmtAt, fmtBaseline, fmtFaultErrors, fmtRecovered, fmtWindow } from './faults-format.js';
import { capacityHtml } from './capacity-format.js';
import { lineChart, type ChartBand, type ChartSeries } from './svg-chart.js';
import { fmtBytes, fmtCloses, fmtRate, fmtReplay } from './pty-format.js';

export const HTML_FILE = 'report.html';
const MAX_POINTS = 600;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2433}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #e3e6ec;text-align:right}th{background:#f5f6f8}
td:first-child,th:first-child{text-align:left}code{font-size:13px}
.meta{color:#5b6475}.pass{color:#137333}.fail{color:#c5221f}.badge{padding:2px 8px;border-radius:10px;color:#fff}
.b-passed{background:#137333}.b-failed{background:#c5221f}.b-invalid{background:#5f6368}.b-interrupted{background:#b06000}.b-errored{background:#7b1fa2}
.warn{border-left:4px solid #b06000;background:#fef7e0;padding:8px 12px}
svg text{font:11px system-ui,sans-serif;fill:#5b6475}svg .t{font-size:13px;fill:#1d2433}svg .g{stroke:#e3e6ec}
`;
/** Only in reports of runs with faults, so other reports stay as they were. */
const FAULT_STYLE = `svg .fault-label{fill:#c5221f;font-weight:600}.never{color:#c5221f;font-weight:600}
`;

/**
 * The chart bands of every fault: its window, then the time until the fleet recovered (to the
 * end of the run when it never did). A chart point at bucket start t stands for the bucket
 * [t, t + width), so a moment T is drawn at T − width/2: a fault in second 10 lands on the
 * point of second 10, not half a step after it.
 */
function faultBands(summary: RunSummary, bucketSeconds: number): ChartBand[] {
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

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // Cells are pre-escaped HTML.
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const lat = (s: LatencyStats) => [s.p50, s.p90, s.p99, s.p999, s.max].map((v) => esc(fmtMs(v)));

/** report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets). */
export function renderHtml(summary: RunSummary): string {
  const { meta, agents, totals } = summary;
  const body: string[] = [];
  body.push(`<h1>fleetsim: ${esc(meta.scenario)} <span class="badge b-${summary.outcome}">${esc(summary.outcome)}</span></h1>`);
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

  if (summary.thresholds.length > 0) {
    body.push('<h2>Thresholds</h2>');
    body.push(
      table(
        ['threshold', 'observed', 'result'],
        summary.thresholds.map((t) => [
          `<code>${esc(t.expression)}</code>`,
          esc(fmtObserved(t)),
          t.pass ? '<span class="pass">✓ pass</span>' : '<span class="fail">✗ fail</span>',
        ]),
      ),
    );
  }

  if (summary.timeSeries.length > 0) {
    body.push('<h2>Over time</h2>');
    const buckets = downsample(summary.timeSeries, MAX_POINTS);
    const xs = buckets.map((b) => b.row.t);
    const bands = faultBands(summary, buckets[0]!.seconds);
    body.push(
      lineChart(
        'Requests per second and p99 latency',
        xs,
        [
          { label: 'req/s', color: '#1a73e8', axis: 'left', values: buckets.map((b) => b.row.requests / b.seconds), format: (v) => fmtNum(Math.round(v)) },
          { label: 'p99 (worst second)', color: '#e8710a', axis: 'right', values: buckets.map((b) => b.row.p99Ms), format: fmtMs },
        ],
        bands,
      ),
    );
    const second: ChartSeries[] = [
      { label: 'agents connected', color: '#137333', axis: 'left', values: buckets.map((b) => b.row.connected), format: (v: number) => fmtNum(Math.round(v)) },
    ];
    if (summary.coordinator) {
      second.push({
        label: 'updates delivered/s',
        color: '#9334e6',
        axis: 'right',
        values: buckets.map((b) => b.row.delivered / b.seconds),
        format: (v: number) => fmtNum(Math.round(v)),
      });
    }
    body.push(lineChart(summary.coordinator ? 'Connected agents and coordinator deliveries' : 'Connected agents', xs, second, bands));
  }

  if (summary.faults && summary.faults.length > 0) {
    body.push('<h2>Faults</h2>');
    body.push(
      table(
        ['fault', 'at', 'recovered after', 'peak reconnects/s', 'errors', 'top errors', 'baseline'],
        summary.faults.map((f) => [
          `<code>${esc(f.action)}</code>`,
          esc(fmtWindow(f)),
          f.recoveredAfterMs === null ? '<span class="never">never</span>' : esc(fmtRecovered(f)),
          esc(fmtNum(f.peakReconnectsPerSecond)),
          esc(fmtNum(faultErrorTotal(f))),
          esc(f.errors.length ? fmtFaultErrors(f) : '-'),
          esc(fmtBaseline(f)),
        ]),
      ),
    );
    body.push(
      '<p class="meta">Shaded on the charts: red, the fault; amber, until the fleet recovered (agents connected and their p99 back to the baseline before the fault, and holding). Errors and reconnects count from the fault to its recovery.</p>',
    );
  }

  body.push('<h2>Endpoints</h2>');
  const rows = Object.entries(summary.endpoints).map(([name, e]) => [
    `<code>${esc(name)}</code>`,
    esc(fmtNum(e.count)),
    esc(fmtNum(e.errors)),
    esc(fmtNum(e.rate)),
    esc(fmtMs(e.min)),
    esc(fmtMs(e.mean)),
    ...lat(e),
  ]);
  rows.push([
    '<strong>total</strong>',
    esc(fmtNum(totals.requests)),
    esc(`${fmtNum(totals.errors)} (${fmtPct(totals.errorRate)})`),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  body.push(table(['endpoint', 'count', 'errors', 'req/s', 'min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows));
  const timing = timingRows(summary);
  if (timing) {
    body.push('<h3>Where the time went</h3>');
    body.push(
      table(
        timing.header,
        timing.rows.map(([name, ...cells]) => [`<code>${esc(name!)}</code>`, ...cells.map(esc)]),
      ),
    );
    body.push(`<p class="meta">${esc(TIMING_LEGEND)} ! marks an endpoint whose queued p99 is above its service p99.</p>`);
  }
  const queued = queuedWarning(summary);
  if (queued) body.push(`<p class="warn"><strong>Inside fleetsim.</strong> ${esc(queued)}</p>`);
  const httpLine = httpModelLine(summary);
  if (httpLine) body.push(`<p>${esc(httpLine)}</p>`);
  body.push(
    `<p>Agents: ${fmtNum(agents.connected)}/${fmtNum(agents.planned)} connected at the end, peak ${fmtNum(agents.peakConnected)}, ` +
      `authenticated ${fmtNum(agents.authenticated)}, reconnects ${fmtNum(agents.reconnects)}</p>`,
  );

  if (summary.generator) {
    body.push('<h2>Harness</h2>');
    body.push(`<p>${esc(generatorLine(summary.generator))}</p>`);
  }

  if (summary.errors.length > 0) {
    body.push('<h2>Errors</h2>');
    body.push(
      table(
        ['endpoint', 'class', 'count'],
        summary.errors.map((e) => [`<code>${esc(e.endpoint)}</code>`, esc(e.class), esc(fmtNum(e.count))]),
      ),
    );
  }

  const c = summary.coordinator;
  if (c) {
    body.push('<h2>Coordinator</h2>');
    body.push(
      table(
        ['sent', 'delivered', 'delivered/s', 'lost', 'duplicated', 'out of order', 'peers (end/peak)'],
        [
          [c.updatesSent, c.updatesDelivered, c.deliveredPerSecond, c.lost, c.duplicated, c.outOfOrder]
            .map((v) => esc(fmtNum(v)))
            .concat(c.peersConnected ? `${c.peersConnected.last}/${c.peersConnected.peak}` : '-'),
        ],
      ),
    );
    const latencyRows = [['propagation (all)', esc(fmtNum(c.propagationMs.count)), ...lat(c.propagationMs)]];
    for (const [dir, d] of Object.entries(c.byDirection))
      latencyRows.push([`propagation ${esc(dir)}`, esc(fmtNum(d.propagationMs.count)), ...lat(d.propagationMs)]);
    if (c.firstNodeMs.count > 0) latencyRows.push(['first node', esc(fmtNum(c.firstNodeMs.count)), ...lat(c.firstNodeMs)]);
    body.push(table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], latencyRows));
  }

  const p = summary.pty;
  if (p) {
    body.push('<h2>Terminal traffic</h2>');
    body.push(
      table(
        ['sessions', 'opened', 'failed', 'reconnects', 'sent', 'received', 'sent/s per session', 'echoes lost', 'replay', 'closed by server'],
        [
          [
            fmtNum(p.sessions),
            fmtNum(p.opened),
            fmtNum(p.failed),
            fmtNum(p.reconnects),
            fmtBytes(p.bytesSent),
            fmtBytes(p.bytesReceived),
            fmtRate(p.sentPerSessionSecond),
            fmtNum(p.echoLost),
            fmtReplay(p),
            fmtCloses(p.closes),
          ].map(esc),
        ],
      ),
    );
    body.push(table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], [['echo', esc(fmtNum(p.echoMs.count)), ...lat(p.echoMs)]]));
  }

  if (summary.rateLimit) {
    body.push('<h2>Rate limit (last headers seen)</h2>');
    body.push(
      table(
        ['endpoint', 'limit', 'remaining', 'lowest remaining'],
        Object.entries(summary.rateLimit).map(([name, r]) => [
          `<code>${esc(name)}</code>`,
          esc(fmtNum(r.limit)),
          esc(fmtNum(r.remaining)),
          esc(fmtNum(r.minRemaining)),
        ]),
      ),
    );
  }

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
