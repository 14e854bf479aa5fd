import type { RunSummary } from '../metrics/summary-types.js';
import { capacityConsole } from './capacity-format.js';
import { faultErrorTotal, fmtProxy, fmtRecovered, fmtWindow } from './faults-format.js';
import { gcLine, gcPauseNotes } from './gc-format.js';
import { alignTable, fmtMs, fmtNum, fmtObserved, fmtPct, generatorLine, outcomeLine, saturationNote, shardsLine } from './format.js';
import { steadyTable } from './phases-format.js';
import { ptyFacts } from './pty-format.js';
import { httpModelLine, queuedWarning, timingRows } from './timing-format.js';

const TOP_ERRORS = 8;

/** The end-of-run text for a terminal: a compact aligned table plus the verdict. Plain text
 * (no colours) so it reads the same in CI logs. */
export function renderConsole(summary: RunSummary): string {
  const { meta, agents, totals } = summary;
  const lines: string[] = [];
  lines.push(`fleetsim ${meta.scenario} · run ${meta.runId} · ${(meta.durationMs / 1000).toFixed(1)}s · target ${meta.target} · seed ${meta.seed}`);
  lines.push('');
  lines.push(...capacityConsole(summary, alignTable));

  const endpointRows = Object.entries(summary.endpoints).map(([name, e]) => [
    name,
    fmtNum(e.count),
    fmtNum(e.errors),
    fmtNum(e.rate),
    fmtMs(e.p50),
    fmtMs(e.p90),
    fmtMs(e.p99),
    fmtMs(e.max),
  ]);
  if (endpointRows.length > 0) {
    lines.push(
      ...alignTable(
        [
          ['ENDPOINT', 'COUNT', 'ERRORS', 'REQ/S', 'P50', 'P90', 'P99', 'MAX'],
          ...endpointRows,
          ['total', fmtNum(totals.requests), `${fmtNum(totals.errors)} (${fmtPct(totals.errorRate)})`],
        ],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  } else {
    lines.push('no requests recorded');
  }
  const timing = timingRows(summary);
  if (timing) {
    lines.push('', 'where the time went (ms; queued: inside fleetsim, service: the target; ! = mostly queued)');
    lines.push(...alignTable([timing.header.map((h) => h.toUpperCase()), ...timing.rows], ['l', 'r', 'r', 'r']));
  }
  const steady = endpointRows.length > 0 ? steadyTable(summary) : undefined;
  if (steady) {
    lines.push('', steady.title);
    if (steady.rows.length > 0) {
      lines.push(...alignTable([steady.header.map((h) => h.toUpperCase()), ...steady.rows], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
    }
  }
  lines.push('');
  lines.push(
    `agents       ${fmtNum(agents.connected)}/${fmtNum(agents.planned)} connected at end · peak ${fmtNum(agents.peakConnected)} · ` +
      `authenticated ${fmtNum(agents.authenticated)} · reconnects ${fmtNum(agents.reconnects)}` +
      (agents.peakReconnectsPerSecond !== undefined ? ` (peak ${fmtNum(agents.peakReconnectsPerSecond)}/s)` : ''),
  );
  if (agents.httpConnectionsOpened !== undefined) lines.push(`connections  ${fmtNum(agents.httpConnectionsOpened)} HTTP connections opened by the agents`);
  const httpLine = httpModelLine(summary);
  if (httpLine) lines.push(`             ${httpLine}`);

  if (summary.generator) lines.push(`harness      ${generatorLine(summary.generator)}`);
  if (summary.generator?.gc) {
    // One line: the figures, then the three longest pauses next to their second's p99.
    const notes = gcPauseNotes(summary, 3);
    lines.push(`gc           ${gcLine(summary.generator.gc)}${notes.length > 0 ? ` · ${notes.join('; ')}` : ''}`);
  }
  const shards = shardsLine(summary);
  if (shards) lines.push(`shards       ${shards}`);

  const c = summary.coordinator;
  if (c) {
    lines.push(
      `coordinator  sent ${fmtNum(c.updatesSent)} · delivered ${fmtNum(c.updatesDelivered)} (${fmtNum(c.deliveredPerSecond)}/s) · ` +
        `lost ${fmtNum(c.lost)} · duplicated ${fmtNum(c.duplicated)} · out of order ${fmtNum(c.outOfOrder)}` +
        (c.peersConnected ? ` · peers ${fmtNum(c.peersConnected.last)} (peak ${fmtNum(c.peersConnected.peak)})` : ''),
    );
    const p = c.propagationMs;
    lines.push(`             propagation p50 ${fmtMs(p.p50)} · p90 ${fmtMs(p.p90)} · p99 ${fmtMs(p.p99)} · p99.9 ${fmtMs(p.p999)} · max ${fmtMs(p.max)}`);
    if (c.firstNodeMs.count > 0) {
      const f = c.firstNodeMs;
      lines.push(`             first node  p50 ${fmtMs(f.p50)} · p99 ${fmtMs(f.p99)} · max ${fmtMs(f.max)}`);
    }
  }

  if (summary.pty) {
    const facts = ptyFacts(summary.pty);
    facts.forEach(([label, text], i) => {
      lines.push(`${i === 0 ? 'pty          ' : '             '}${label} ${text}`);
    });
  }

  if (summary.errors.length > 0) {
    lines.push('');
    lines.push(summary.errors.length > TOP_ERRORS ? `errors (top ${TOP_ERRORS} of ${summary.errors.length})` : 'errors');
    lines.push(
      ...alignTable(
        summary.errors.slice(0, TOP_ERRORS).map((e) => ['  ' + e.endpoint, e.class, fmtNum(e.count)]),
        ['l', 'l', 'r'],
      ),
    );
  }

  if (summary.faults && summary.faults.length > 0) {
    lines.push('');
    lines.push('faults');
    lines.push(
      ...alignTable(
        [
          ['  ACTION', 'AT', 'RECOVERED AFTER', 'PEAK RECONNECTS/S', 'ERRORS', 'TOP ERROR'],
          ...summary.faults.map((f) => {
            const top = f.errors[0];
            return [
              '  ' + f.action,
              fmtWindow(f),
              fmtRecovered(f),
              fmtNum(f.peakReconnectsPerSecond),
              fmtNum(faultErrorTotal(f)),
              top ? `${top.class} ${top.endpoint}` : '-',
            ];
          }),
        ],
        ['l', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  if (summary.proxy) lines.push('', fmtProxy(summary.proxy));

  if (summary.thresholds.length > 0) {
    lines.push('');
    lines.push('thresholds');
    lines.push(...alignTable(summary.thresholds.map((t) => [`  ${t.pass ? '✓' : '✗'} ${t.expression}`, `observed ${fmtObserved(t)}`])));
  }
  lines.push('');
  lines.push(`outcome: ${outcomeLine(summary)}`);
  const note = saturationNote(summary);
  if (note) lines.push(note);
  const queued = queuedWarning(summary);
  if (queued) lines.push(`warning: ${queued}`);
  return lines.join('\n') + '\n';
}
