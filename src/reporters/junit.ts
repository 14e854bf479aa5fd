import type { RunSummary } from '../metrics/summary-types.js';
import { httpModelLine, queuedWarning, timingRows } from './timing-format.js';
import { capacityJunit } from './capacity-format.js';
import { faultLine } from './faults-format.js';
import { gcPauseNotes, gcProperties } from './gc-format.js';
import { escapeXml, fmtObserved, saturationNote, shardsLine } from './format.js';
import { phaseProperties } from './phases-format.js';

export const JUNIT_FILE = 'junit.xml';

/** `pty.*` properties when the run had terminal traffic (numbers as plain text, ms for echo). */
function ptyProperties(summary: RunSummary): string[][] {
  const p = summary.pty;
  if (!p) return [];
  const echo = p.echoMs;
  return [
    ['pty.sessions', p.sessions],
    ['pty.bytesSent', p.bytesSent],
    ['pty.bytesReceived', p.bytesReceived],
    ['pty.echoMs.p50', echo.p50],
    ['pty.echoMs.p90', echo.p90],
    ['pty.echoMs.p99', echo.p99],
    ['pty.echoMs.p999', echo.p999],
    ['pty.echoMs.max', echo.max],
    ['pty.echoLost', p.echoLost],
    ['pty.reconnects', p.reconnects],
    ['pty.replayChecks', p.replayChecks],
    ['pty.replayMismatches', p.replayMismatches],
  ].map(([k, v]) => [String(k), v === null ? '' : String(v)]);
}

const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;

/**
 * junit.xml: one testcase per threshold (a failing threshold is a `<failure>`), plus a
 * `run completed` testcase that errors when the run was interrupted or errored, so CI shows
 * a broken run even without thresholds, and a `harness not saturated` testcase (when the summary
 * has the self-check) that fails on an invalid run and is skipped when --allow-saturated kept a
 * saturated one. Faults (when the run had any) are properties `fault.<n>` and lines in the
 * suite's `<system-out>`; `recovery(...)` thresholds are testcases.
 */
export function renderJunit(summary: RunSummary): string {
  const { meta } = summary;
  const time = (meta.durationMs / 1000).toFixed(3);
  const cases: string[] = [];
  for (const t of summary.thresholds) {
    const head = `    <testcase ${attr('classname', `fleetsim.${meta.scenario}.thresholds`)} ${attr('name', t.expression)} time="0"`;
    if (t.pass) cases.push(`${head}/>`);
    else {
      const message = `observed ${fmtObserved(t)}`;
      cases.push(
        `${head}>\n      <failure ${attr('type', 'threshold')} ${attr('message', message)}>${escapeXml(`${t.expression}: ${message}`)}</failure>\n    </testcase>`,
      );
    }
  }
  const broken = summary.outcome === 'errored' || summary.outcome === 'interrupted';
  const runHead = `    <testcase ${attr('classname', `fleetsim.${meta.scenario}`)} name="run completed" ${attr('time', time)}`;
  cases.push(
    broken ? `${runHead}>\n      <error ${attr('type', summary.outcome)} ${attr('message', `run ${summary.outcome}`)}/>\n    </testcase>` : `${runHead}/>`,
  );

  const g = summary.generator;
  let harnessFailed = 0;
  let skipped = 0;
  if (g) {
    const head = `    <testcase ${attr('classname', `fleetsim.${meta.scenario}`)} name="harness not saturated" time="0"`;
    const figures = `${g.saturatedSeconds}/${g.seconds} seconds saturated; event-loop delay p99 ${g.eventLoopDelayMs.p99} ms; CPU max ${g.cpuPercent.max}% of one core`;
    if (g.verdict !== 'saturated') cases.push(`${head}/>`);
    else if (g.saturationAllowed) {
      skipped = 1;
      cases.push(`${head}>\n      <skipped ${attr('message', `harness saturated, kept by --allow-saturated (${figures})`)}/>\n    </testcase>`);
    } else {
      harnessFailed = 1;
      const text = saturationNote(summary) ?? 'the harness was saturated';
      cases.push(
        `${head}>\n      <failure ${attr('type', 'saturated')} ${attr('message', `run invalid: ${figures}`)}>${escapeXml(text)}</failure>\n    </testcase>`,
      );
    }
  }

  const capacity = capacityJunit(summary);
  cases.push(...capacity.cases);
  const failures = summary.thresholds.filter((t) => !t.pass).length + harnessFailed + capacity.failures;
  const errors = (broken ? 1 : 0) + capacity.errors;
  const tests = cases.length;
  const props = [
    ['runId', meta.runId],
    ['seed', meta.seed],
    ['target', meta.target],
    ['fleetsimVersion', meta.fleetsimVersion],
    ['outcome', summary.outcome],
    ['requests', String(summary.totals.requests)],
    ['errors', String(summary.totals.errors)],
    ...(meta.shards ? [['shards', shardsLine(summary) ?? '']] : []),
    ...(g ? [['harness', g.verdict === 'saturated' && g.saturationAllowed ? 'saturated (allowed)' : g.verdict]] : []),
    ...gcProperties(summary),
    ...(g?.queuedOverService ? [['queuedOverService', String(g.queuedOverService.count)]] : []),
    ...(summary.faults ?? []).map((f, i) => [`fault.${i + 1}`, faultLine(f)]),
    ...ptyProperties(summary),
    ...phaseProperties(summary),
    ...capacity.properties,
  ]
    .map(([k, v]) => `      <property ${attr('name', k!)} ${attr('value', v!)}/>`)
    .join('\n');
  const queued = queuedWarning(summary);
  const httpLine = httpModelLine(summary);
  const faultOut = (summary.faults ?? [])
    .flatMap((f) => [faultLine(f), ...f.errors.map((e) => `  ${e.endpoint} ${e.class}: ${e.count}`)])
    .concat(capacity.out)
    .concat(timingLines(summary), queued ? [`warning: ${queued}`] : [], httpLine ? [httpLine] : [], gcPauseNotes(summary));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'fleetsim')} ${attr('tests', tests)} ${attr('failures', failures)} ${attr('errors', errors)} ${attr('time', time)}>`,
    `  <testsuite ${attr('name', `fleetsim.${meta.scenario}`)} ${attr('tests', tests)} ${attr('failures', failures)} ${attr('errors', errors)} ${attr('skipped', skipped)} ${attr('time', time)} ${attr('timestamp', meta.startedAt)}>`,
    '    <properties>',
    props,
    '    </properties>',
    ...cases,
    ...(faultOut.length > 0 ? [`    <system-out>${escapeXml(faultOut.join('\n'))}</system-out>`] : []),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The split per endpoint as plain lines (system-out). */
function timingLines(summary: RunSummary): string[] {
  const timing = timingRows(summary);
  if (!timing) return [];
  return [`where the time went (ms, p50 / p99 / max): ${timing.header.slice(1).join(', ')}`, ...timing.rows.map((r) => `  ${r.join(' | ')}`)];
}
