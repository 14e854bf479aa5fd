import { describe, expect, it } from 'vitest';
import type { FaultSummary, RunSummary } from '../../src/metrics/summary-types.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { renderConsole } from '../../src/reporters/console.js';
import { faultStrip } from '../../src/reporters/faults-format.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderJson } from '../../src/reporters/json.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { faultedSummary, handFedSummary } from '../metrics/fixtures.js';
import { assertWellFormedXml } from './xml-check.js';

function withRecoveryThresholds(): RunSummary {
  const s = faultedSummary();
  s.thresholds = evaluateThresholds(
    s,
    ['recovery(drop-agent-sockets) < 30s', 'recovery(restart-target) < 30s'].map((e) => parseThreshold(e)),
  );
  s.outcome = 'failed';
  return s;
}

describe('reporters with faults', () => {
  const s = withRecoveryThresholds();

  it('console: a faults table and the recovery thresholds with what they observed', () => {
    const text = renderConsole(s);
    const lines = text.split('\n');
    const at = lines.indexOf('faults');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {2}ACTION +AT +RECOVERED AFTER +PEAK RECONNECTS\/S +ERRORS +TOP ERROR$/);
    expect(lines[at + 2]).toMatch(/^ {2}drop-agent-sockets +10\.5s +3\.50s +50 +100 +reset GET \/me\/coordinate$/);
    expect(lines[at + 3]).toMatch(/^ {2}restart-target +20\.0s–21\.0s +never +0 +5 +refused POST \/me\/report-stats$/);
    expect(text).toMatch(/✓ recovery\(drop-agent-sockets\) < 30s +observed 3\.50s/);
    expect(text).toMatch(/✗ recovery\(restart-target\) < 30s +observed n\/a: not recovered \(1 of 1 restart-target fault\)/);
  });

  it('markdown: a Faults section and a fault strip under the sparklines', () => {
    const md = renderMarkdown(s);
    expect(md).toContain('## Faults');
    expect(md).toContain('| `drop-agent-sockets` | 10.5s | 3.50s | 50 | reset 100 (GET /me/coordinate) | 100 agents, p99 10.0ms |');
    expect(md).toContain('| `restart-target` | 20.0s–21.0s | never | 0 | refused 5 (POST /me/report-stats) | 100 agents, p99 10.0ms |');
    // 30 one-second buckets: the drop in 10, recovering 10..13; the restart in 20, then never.
    expect(md).toContain(`faults     ${' '.repeat(10)}█░░░${' '.repeat(6)}█░░░░░░░░░  (█ fault, ░ recovering)`);
    expect(md).toMatch(/\| ❌ \| `recovery\(restart-target\) < 30s` \| n\/a: not recovered/);
  });

  it('html: shaded fault and recovery bands with labels on the charts, and a faults table', () => {
    const html = renderHtml(s);
    // Every time chart shades both faults and both recoveries.
    const charts = html.split('<svg').filter((svg) => svg.includes('time since start') && !svg.includes('aria-label="fault timeline"'));
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const svg of charts) {
      expect(svg.match(/<rect class="fault-band"/g)).toHaveLength(2);
      expect(svg.match(/<rect class="recovery-band"/g)).toHaveLength(2);
    }
    // The fault timeline: one row per fault, the never-recovered one said so.
    const timeline = html.split('<svg').find((svg) => svg.includes('aria-label="fault timeline"'))!;
    expect(timeline.match(/<rect class="fault-bar"/g)).toHaveLength(2);
    expect(timeline).toContain('recovered after 3.50s');
    expect(timeline).toContain('never recovered');
    expect(html).toContain('<text class="fault-label"');
    expect(html).toMatch(/<text class="fault-label"[^>]*>drop-agent-sockets<\/text>/);
    expect(html).toContain('<title>restart-target 20.0s–21.0s: not recovered</title>');
    expect(html).toContain('<h2>Faults</h2>');
    expect(html).toContain('<span class="never">never</span>');
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });

  it('junit: a property per fault and the details in system-out, well-formed', () => {
    const xml = renderJunit(s);
    assertWellFormedXml(xml);
    expect(xml).toContain('<property name="fault.1" value="drop-agent-sockets at 10.5s: recovered after 3.50s, peak 50 reconnects/s, 100 errors"/>');
    expect(xml).toContain(
      '<property name="fault.2" value="restart-target at 20.0s–21.0s: not recovered by the end of the run, peak 0 reconnects/s, 5 errors"/>',
    );
    expect(xml).toMatch(/<system-out>drop-agent-sockets at 10\.5s[^<]*\n {2}GET \/me\/coordinate reset: 100\n/);
    expect(xml).toMatch(/<testcase classname="fleetsim\.unit\.thresholds" name="recovery\(restart-target\) &lt; 30s" time="0">\n {6}<failure/);
  });

  it('json: the faults as in the summary', () => {
    const json = JSON.parse(renderJson(s)) as RunSummary;
    expect(json.faults!.map((f) => [f.action, f.recoveredAfterMs])).toEqual([
      ['drop-agent-sockets', 3_500],
      ['restart-target', null],
    ]);
  });

  it('say nothing about faults when there were none', () => {
    const plain = handFedSummary();
    for (const text of [renderConsole(plain), renderMarkdown(plain), renderHtml(plain), renderJunit(plain), renderJson(plain)]) {
      expect(text).not.toMatch(/fault|recover/i);
    }
  });
});

describe('faultStrip', () => {
  it('folds faults into buckets, fault over recovery', () => {
    const f = (at: number, endedAt: number, recoveredAfterMs: number | null): FaultSummary => ({
      action: 'x',
      at,
      endedAt,
      recoveredAfterMs,
      peakReconnectsPerSecond: 0,
      errors: [],
      baseline: { connected: 0, p99Ms: null, source: 'window' },
    });
    expect(faultStrip([f(4_000, 4_000, 3_000)], 5, 2)).toBe('  █░ ');
    expect(faultStrip([f(0, 2_500, null), f(7_000, 7_000, 1_000)], 5, 2)).toBe('██░█░');
  });
});
