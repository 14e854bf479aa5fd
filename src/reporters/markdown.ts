import type { LatencyStats, RunSummary } from '../metrics/summary-types.js';
import { capacityMarkdown } from './capacity-format.js';
import { faultStrip, fmtBaseline, fmtFaultErrors, fmtProxy, fmtRecovered, fmtWindow } from './faults-format.js';
import { downsample, escapeMd, fmtMs, fmtNum, fmtObserved, fmtPct, outcomeLine, saturationNote, shardsLine, sparkline } from './format.js';
import { gcLine, gcPauseNotes } from './gc-format.js';
import { steadyTable } from './phases-format.js';
import { PTY_TABLE_HEADERS, ptyTableRow } from './pty-format.js';
import { httpModelLine, queuedWarning, TIMING_LEGEND, timingRows } from './timing-format.js';

export const MARKDOWN_FILE = 'summary.md';
const MAX_SERIES_ROWS = 20;
const MAX_SPARK = 60;

const ICON: Record<RunSummary['outcome'], string> = { passed: '✅', failed: '❌', invalid: '🚫', interrupted: '⚠️', errored: '💥' };

function table(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = 1): string[] {
  const align = header.map((_, i) => (i >= rightFrom ? '---:' : ':---'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.map(escapeMd).join(' | ')} |`)];
}

const latencyCells = (s: LatencyStats): string[] => [fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.p999), fmtMs(s.max)];

/** summary.md: for humans and CI step summaries / PR comments. */
export function renderMarkdown(summary: RunSummary): string {
  const { meta, agents, totals } = summary;
  const out: string[] = [];
  out.push(`# fleetsim: ${escapeMd(meta.scenario)} ${ICON[summary.outcome]} ${summary.outcome}`, '');
  out.push(
    ...table(
      ['run', 'target', 'seed', 'started', 'duration', 'fleetsim'],
      [[meta.runId, meta.target, meta.seed, meta.startedAt, `${(meta.durationMs / 1000).toFixed(1)}s`, meta.fleetsimVersion]],
      99,
    ),
    '',
  );
  out.push(`**Outcome:** ${outcomeLine(summary)}`, '');
  const shards = shardsLine(summary);
  if (shards) out.push(`**Shards:** ${escapeMd(shards)}`, '');
  const note = saturationNote(summary);
  if (note) out.push(`> **Harness saturated.** ${escapeMd(note)}`, '');
  const queued = queuedWarning(summary);
  if (queued) out.push(`> **Inside fleetsim.** ${escapeMd(queued)}`, '');
  out.push(...capacityMarkdown(summary));

  if (summary.thresholds.length > 0) {
    out.push('## Thresholds', '');
    out.push(
      ...table(
        ['', 'threshold', 'observed'],
        summary.thresholds.map((t) => [t.pass ? '✅' : '❌', `\`${t.expression}\``, fmtObserved(t)]),
        2,
      ),
      '',
    );
  }

  out.push('## Endpoints', '');
  const rows = Object.entries(summary.endpoints).map(([name, e]) => [
    `\`${name}\``,
    fmtNum(e.count),
    fmtNum(e.errors),
    fmtNum(e.rate),
    fmtMs(e.min),
    fmtMs(e.mean),
    ...latencyCells(e),
  ]);
  rows.push(['**total**', fmtNum(totals.requests), `${fmtNum(totals.errors)} (${fmtPct(totals.errorRate)})`, '', '', '', '', '', '', '', '']);
  out.push(...table(['endpoint', 'count', 'errors', 'req/s', 'min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows), '');
  const timing = timingRows(summary);
  if (timing) {
    out.push('### Where the time went', '');
    out.push(...table(timing.header, timing.rows), '', `_${escapeMd(TIMING_LEGEND)} ! marks an endpoint whose queued p99 is above its service p99._`, '');
  }
  const steady = steadyTable(summary);
  if (steady) {
    out.push('## Steady phase', '', escapeMd(steady.title), '');
    if (steady.rows.length > 0)
      out.push(
        ...table(
          steady.header,
          steady.rows.map(([name, ...cells]) => [`\`${name}\``, ...cells]),
        ),
        '',
      );
  }

  out.push(
    `**Agents:** ${fmtNum(agents.connected)}/${fmtNum(agents.planned)} connected at the end, peak ${fmtNum(agents.peakConnected)}, ` +
      `authenticated ${fmtNum(agents.authenticated)}, reconnects ${fmtNum(agents.reconnects)}` +
      (agents.peakReconnectsPerSecond !== undefined ? ` (peak ${fmtNum(agents.peakReconnectsPerSecond)}/s)` : ''),
    '',
  );
  if (agents.httpConnectionsOpened !== undefined)
    out.push(`**Connections:** ${fmtNum(agents.httpConnectionsOpened)} HTTP connections opened by the agents`, '');
  const httpLine = httpModelLine(summary);
  if (httpLine) out.push(`**Connection model:** ${escapeMd(httpLine)}`, '');

  const g = summary.generator;
  if (g) {
    out.push('## Harness', '');
    out.push(
      ...table(
        ['verdict', 'saturated seconds', 'event-loop p50', 'event-loop p99', 'event-loop max', 'CPU mean', 'CPU max', 'RSS max'],
        [
          [
            g.verdict === 'saturated' ? (g.saturationAllowed ? 'saturated (allowed)' : 'saturated') : 'ok',
            `${fmtNum(g.saturatedSeconds)}/${fmtNum(g.seconds)}`,
            fmtMs(g.eventLoopDelayMs.p50),
            fmtMs(g.eventLoopDelayMs.p99),
            fmtMs(g.eventLoopDelayMs.max),
            `${fmtNum(g.cpuPercent.mean)}%`,
            `${fmtNum(g.cpuPercent.max)}%`,
            `${fmtNum(Math.round(g.maxRssBytes / 1_048_576))} MiB`,
          ],
        ],
      ),
      '',
    );
    if (g.gc) {
      out.push(`**GC:** ${gcLine(g.gc)}`, '');
      const notes = gcPauseNotes(summary);
      if (notes.length > 0) out.push(`GC pauses of ${fmtNum(g.gc.longPauseMs)} ms or more:`, '', ...notes.map((n) => `- ${n}`), '');
    }
  }

  if (summary.errors.length > 0) {
    out.push('## Errors', '');
    out.push(
      ...table(
        ['endpoint', 'class', 'count'],
        summary.errors.map((e) => [`\`${e.endpoint}\``, e.class, fmtNum(e.count)]),
        2,
      ),
      '',
    );
  }

  if (summary.faults && summary.faults.length > 0) {
    out.push('## Faults', '');
    out.push(
      ...table(
        ['fault', 'at', 'recovered after', 'peak reconnects/s', 'errors', 'baseline'],
        summary.faults.map((f) => [`\`${f.action}\``, fmtWindow(f), fmtRecovered(f), fmtNum(f.peakReconnectsPerSecond), fmtFaultErrors(f), fmtBaseline(f)]),
        99,
      ),
      '',
      '_Recovered: agents connected and their per-second p99 back to the baseline before the fault, and holding. Errors and reconnects count from the fault to its recovery._',
      '',
    );
  }
  if (summary.proxy) out.push(`${fmtProxy(summary.proxy)}.`, '', `_${summary.proxy.note}._`, '');

  const c = summary.coordinator;
  if (c) {
    out.push('## Coordinator', '');
    out.push(
      ...table(
        ['sent', 'delivered', 'delivered/s', 'lost', 'duplicated', 'out of order', 'peers (end/peak)'],
        [
          [
            fmtNum(c.updatesSent),
            fmtNum(c.updatesDelivered),
            fmtNum(c.deliveredPerSecond),
            fmtNum(c.lost),
            fmtNum(c.duplicated),
            fmtNum(c.outOfOrder),
            c.peersConnected ? `${c.peersConnected.last}/${c.peersConnected.peak}` : '-',
          ],
        ],
        0,
      ),
      '',
    );
    const latencyRows = [['propagation (all)', fmtNum(c.propagationMs.count), ...latencyCells(c.propagationMs)]];
    for (const [dir, d] of Object.entries(c.byDirection))
      latencyRows.push([`propagation ${dir}`, fmtNum(d.propagationMs.count), ...latencyCells(d.propagationMs)]);
    if (c.firstNodeMs.count > 0) latencyRows.push(['first node', fmtNum(c.firstNodeMs.count), ...latencyCells(c.firstNodeMs)]);
    out.push(...table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], latencyRows), '');
  }

  const p = summary.pty;
  if (p) {
    out.push('## Terminal traffic', '');
    out.push(...table(PTY_TABLE_HEADERS, [ptyTableRow(p)], 0), '');
    out.push(...table(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], [['echo', fmtNum(p.echoMs.count), ...latencyCells(p.echoMs)]]), '');
  }

  if (summary.rateLimit) {
    out.push('## Rate limit (last headers seen)', '');
    out.push(
      ...table(
        ['endpoint', 'limit', 'remaining', 'lowest remaining'],
        Object.entries(summary.rateLimit).map(([name, r]) => [`\`${name}\``, fmtNum(r.limit), fmtNum(r.remaining), fmtNum(r.minRemaining)]),
      ),
      '',
    );
  }

  if (summary.timeSeries.length > 0) {
    out.push('## Over time', '');
    const spark = downsample(summary.timeSeries, MAX_SPARK).map((b) => b.row);
    out.push('```');
    out.push(`req/s      ${sparkline(spark.map((r) => r.requests))}`);
    out.push(`p99        ${sparkline(spark.map((r) => r.p99Ms))}`);
    out.push(`connected  ${sparkline(spark.map((r) => r.connected))}`);
    if (summary.faults && summary.faults.length > 0) {
      const width = Math.max(1, Math.ceil(summary.timeSeries.length / MAX_SPARK));
      out.push(`faults     ${faultStrip(summary.faults, spark.length, width)}  (█ fault, ░ recovering)`);
    }
    out.push('```', '');
    const buckets = downsample(summary.timeSeries, MAX_SERIES_ROWS);
    out.push(
      ...table(
        ['t', 'req/s', 'errors', 'p99', 'connected', 'delivered/s'],
        buckets.map(({ row, seconds }) => [
          `${row.t}s`,
          fmtNum(Math.round((row.requests / seconds) * 10) / 10),
          fmtNum(row.errors),
          fmtMs(row.p99Ms),
          fmtNum(row.connected),
          fmtNum(Math.round((row.delivered / seconds) * 10) / 10),
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}
