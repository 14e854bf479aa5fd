/** The report's tables: thresholds, endpoints, errors, coordinator, terminal traffic, rate limits. */
import type { LatencyStats, RunSummary } from '../../metrics/summary-types.js';
import { escapeXml as esc, fmtMs, fmtNum, fmtObserved, fmtPct } from '../format.js';
import { steadyTable } from '../phases-format.js';
import { httpModelLine, queuedWarning, TIMING_LEGEND, timingRows } from '../timing-format.js';
import { PTY_TABLE_HEADERS, ptyTableRow } from '../pty-format.js';
import { propagationChart } from './propagation-chart.js';
import { table } from './table.js';

const lat = (s: LatencyStats) => [s.p50, s.p90, s.p99, s.p999, s.max].map((v) => esc(fmtMs(v)));

export function thresholdsHtml(summary: RunSummary): string[] {
  if (summary.thresholds.length === 0) return [];
  return [
    '<h2>Thresholds</h2>',
    table(
      ['threshold', 'observed', 'result'],
      summary.thresholds.map((t) => [
        `<code>${esc(t.expression)}</code>`,
        esc(fmtObserved(t)),
        t.pass ? '<span class="pass">✓ pass</span>' : '<span class="fail">✗ fail</span>',
      ]),
    ),
  ];
}

export function endpointsHtml(summary: RunSummary): string[] {
  const { agents, totals } = summary;
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
  return [
    '<h2>Endpoints</h2>',
    table(['endpoint', 'count', 'errors', 'req/s', 'min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows),
    `<p>Agents: ${fmtNum(agents.connected)}/${fmtNum(agents.planned)} connected at the end, peak ${fmtNum(agents.peakConnected)}, ` +
      `authenticated ${fmtNum(agents.authenticated)}, reconnects ${fmtNum(agents.reconnects)}</p>`,
  ];
}

/** A table of plain-text rows whose first cell names an endpoint (escaped here). */
function endpointTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return table(
    header,
    rows.map(([name, ...cells]) => [`<code>${esc(name!)}</code>`, ...cells.map(esc)]),
  );
}

/** Where each endpoint's time went (queued inside fleetsim, service at the target, connect), the
 * "inside fleetsim" warning and the connection model line. */
export function timingHtml(summary: RunSummary): string[] {
  const out: string[] = [];
  const timing = timingRows(summary);
  if (timing) {
    out.push(
      '<h3>Where the time went</h3>',
      endpointTable(timing.header, timing.rows),
      `<p class="meta">${esc(TIMING_LEGEND)} ! marks an endpoint whose queued p99 is above its service p99.</p>`,
    );
  }
  const queued = queuedWarning(summary);
  if (queued) out.push(`<p class="warn"><strong>Inside fleetsim.</strong> ${esc(queued)}</p>`);
  const httpLine = httpModelLine(summary);
  if (httpLine) out.push(`<p>${esc(httpLine)}</p>`);
  return out;
}

/** The steady phase's endpoint table beside the whole run's p99 (absent for summaries without phases). */
export function steadyHtml(summary: RunSummary): string[] {
  const steady = steadyTable(summary);
  if (!steady) return [];
  const out = ['<h2>Steady phase</h2>', `<p class="meta">${esc(steady.title)}</p>`];
  if (steady.rows.length > 0) out.push(endpointTable(steady.header, steady.rows));
  return out;
}

export function errorsHtml(summary: RunSummary): string[] {
  if (summary.errors.length === 0) return [];
  return [
    '<h2>Errors</h2>',
    table(
      ['endpoint', 'class', 'count'],
      summary.errors.map((e) => [`<code>${esc(e.endpoint)}</code>`, esc(e.class), esc(fmtNum(e.count))]),
    ),
  ];
}

export function coordinatorHtml(summary: RunSummary): string[] {
  const c = summary.coordinator;
  if (!c) return [];
  const out = ['<h2>Coordinator</h2>'];
  out.push(
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
  out.push(table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], latencyRows));
  const chart = propagationChart(summary);
  if (chart) out.push(chart);
  return out;
}

export function ptyHtml(summary: RunSummary): string[] {
  const p = summary.pty;
  if (!p) return [];
  return [
    '<h2>Terminal traffic</h2>',
    table(PTY_TABLE_HEADERS, [ptyTableRow(p).map(esc)]),
    table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], [['echo', esc(fmtNum(p.echoMs.count)), ...lat(p.echoMs)]]),
  ];
}

export function rateLimitHtml(summary: RunSummary): string[] {
  if (!summary.rateLimit) return [];
  return [
    '<h2>Rate limit (last headers seen)</h2>',
    table(
      ['endpoint', 'limit', 'remaining', 'lowest remaining'],
      Object.entries(summary.rateLimit).map(([name, r]) => [
        `<code>${esc(name)}</code>`,
        esc(fmtNum(r.limit)),
        esc(fmtNum(r.remaining)),
        esc(fmtNum(r.minRemaining)),
      ]),
    ),
  ];
}
