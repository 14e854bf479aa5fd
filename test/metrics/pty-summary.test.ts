import { describe, expect, it } from 'vitest';
import { METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { renderConsole } from '../../src/reporters/console.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { assertWellFormedXml } from '../reporters/xml-check.js';
import { manualClock } from '../helpers/clock.js';
import { META, handFedSummary } from './fixtures.js';

/** 10 s, 2 sessions: 100 echoes of 1..100 ms, 12 replay checks with 1 mismatch. */
function ptySummary(checks = 12) {
  const r = createRecorder({ clock: manualClock() });
  r.count(METRIC.ptySessions, 2);
  r.count(METRIC.ptyOpened, 2 + checks);
  r.count(METRIC.ptyReconnects, checks);
  r.count(METRIC.ptyFailed, 1);
  r.count(METRIC.ptyBytesSent, 6400);
  r.count(METRIC.ptyBytesReceived, 20_000);
  r.count(METRIC.ptyOpenMs, 16_000);
  r.count(METRIC.ptyCloses, 1, { code: '1011' });
  r.count(METRIC.ptyCloses, 2, { code: '1000' });
  r.count(METRIC.ptyEchoLost, 3);
  r.count(METRIC.ptyReplayChecks, checks);
  if (checks > 0) r.count(METRIC.ptyReplayMismatches, 1);
  for (let i = 1; i <= 100; i++) r.trend(METRIC.ptyEcho, i);
  return buildSummary(r, { meta: META, agentsPlanned: 2 });
}

describe('pty summary', () => {
  it('is built from the pty metrics', () => {
    const p = ptySummary().pty!;
    expect(p).toMatchObject({
      sessions: 2,
      opened: 14,
      failed: 1,
      reconnects: 12,
      closes: { '1000': 2, '1011': 1 },
      bytesSent: 6400,
      bytesReceived: 20_000,
      bytesSentPerSecond: 640,
      bytesReceivedPerSecond: 2000,
      openSeconds: 16,
      sentPerSessionSecond: 400,
      echoLost: 3,
      replayChecks: 12,
      replayMismatches: 1,
    });
    expect(p.echoMs).toMatchObject({ count: 100, max: 100 });
    expect(p.echoMs.p50).toBeCloseTo(50, 1);
    expect(p.echoMs.p99).toBeCloseTo(99, 1);
    expect(Object.keys(p.closes)).toEqual(['1000', '1011']);
  });

  it('is absent without pty traffic', () => {
    expect(handFedSummary().pty).toBeUndefined();
  });

  it('thresholds p99(echo), replay_mismatches and echo_lost', () => {
    const s = ptySummary();
    const results = evaluateThresholds(
      s,
      ['p99(echo) < 100ms', 'P99( echo ) < 50', 'replay_mismatches == 0', 'replay_mismatches <= 1', 'echo_lost < 5'].map((e) => parseThreshold(e)),
    );
    expect(results[0]!.observed).toBeCloseTo(99, 1);
    expect(results.map((r) => [Math.round(r.observed!), r.pass])).toEqual([
      [99, true],
      [99, false],
      [1, false],
      [1, true],
      [3, true],
    ]);
    const none = evaluateThresholds(handFedSummary(), [parseThreshold('p99(echo) < 1s'), parseThreshold('replay_mismatches == 0')]);
    expect(none.map((r) => r.observed)).toEqual([null, null]);
    expect(none[1]!.detail).toBe('no PTY traffic in this run');
    const unchecked = evaluateThresholds(ptySummary(0), [parseThreshold('replay_mismatches == 0')])[0]!;
    expect(unchecked).toMatchObject({ observed: null, pass: false });
    expect(unchecked.detail).toContain('no reconnect replay was checked');
  });

  it('rejects an argument to replay_mismatches and lists echo among latency subjects', () => {
    expect(() => parseThreshold('replay_mismatches(x) == 0')).toThrow(/takes no argument/);
    expect(() => parseThreshold('p99 < 5ms')).toThrow(/echo/);
  });

  it('every reporter shows the terminal traffic', () => {
    const s = ptySummary();
    expect(renderConsole(s)).toMatch(/pty +sessions 2 \(opened 14, failed 1, reconnects 12\)/);
    expect(renderConsole(s)).toContain('replay 1 of 12 mismatched');
    const md = renderMarkdown(s);
    expect(md).toContain('## Terminal traffic');
    expect(md).toMatch(/\| echo \| 100 \| 50(\.\d+)?ms \|/);
    const row = ['2', '14', '1', '12', '6.3 KiB', '19.5 KiB', '400 B/s', '3', '1 of 12 mismatched', '1000×2, 1011×1'];
    expect(md).toContain(`| ${row.join(' | ')} |`);
    const html = renderHtml(s);
    expect(html).toContain('<h2>Terminal traffic</h2>');
    expect(html).toContain(`<td>${row.join('</td><td>')}</td>`);
    const junit = renderJunit(s);
    assertWellFormedXml(junit);
    expect(junit).toMatch(/<property name="pty.echoMs.p99" value="99(\.\d+)?"\/>/);
    expect(junit).toContain('<property name="pty.replayMismatches" value="1"/>');
    // Reports of runs without terminal traffic do not mention it.
    const plain = handFedSummary();
    for (const text of [renderConsole(plain), renderMarkdown(plain), renderHtml(plain), renderJunit(plain)]) expect(text).not.toMatch(/pty|Terminal traffic/);
  });
});
