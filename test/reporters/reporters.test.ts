import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/clock.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { renderConsole } from '../../src/reporters/console.js';
import { fileReporter, REPORTERS, writeReports, type Reporter } from '../../src/reporters/index.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { formatLiveLine } from '../../src/reporters/live-line.js';
import { handFedSummary } from '../metrics/fixtures.js';
import { assertWellFormedXml } from './xml-check.js';

function summaryWithThresholds(coordinator = true): RunSummary {
  const s = handFedSummary({ coordinator });
  s.thresholds = evaluateThresholds(
    s,
    ['p99(POST /me/report-stats) < 200ms', 'error_rate < 1%', 'lost == 0', 'p99(GET /<nope>&) < 1s'].map((e) => parseThreshold(e)),
  );
  s.outcome = 'failed';
  return s;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-reporters-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('writes every file report into a new directory and prints the console table', async () => {
    const out = join(dir, 'nested', 'run-1');
    const printed: string[] = [];
    const { written, failed } = await writeReports(summaryWithThresholds(), out, { console: (t) => printed.push(t) });
    expect(failed).toEqual([]);
    expect(written.map((p) => p.slice(out.length + 1)).sort()).toEqual(['junit.xml', 'report.html', 'summary.json', 'summary.md']);
    expect(printed).toHaveLength(1);

    const json = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(json.schemaVersion).toBe(1);
    expect(json.endpoints['POST /me/report-stats']!.count).toBe(100);

    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('# fleetsim: unit ❌ failed');
    expect(md).toMatch(/\| `POST \/me\/report-stats` \| 100 \| 3 \| 10 \| 1.00ms \| 50.5ms \| 50.0ms \| 90.0ms \| 99.0ms \| 100ms \| 100ms \|/);
    expect(md).toMatch(/\| `GET \/me\/metadata` \| timeout \| 5 \|/);
    expect(md).toMatch(/\| ✅ \| `p99\(POST \/me\/report-stats\) < 200ms` \| 99.0ms \|/);
    expect(md).toMatch(/\| ❌ \| `error_rate < 1%` \| 5.33% \|/);
    expect(md).toContain('## Coordinator');
    expect(md).toMatch(/req\/s +[▁▂▃▄▅▆▇█ ]+/);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('<polyline');
    expect(html).toContain('<code>POST /me/report-stats</code>');
    expect(html).toContain('p99(GET /&lt;nope&gt;&amp;) &lt; 1s'); // escaped
    // Self-contained: no scripts, stylesheets, images or fetches from elsewhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);

    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    assertWellFormedXml(xml);
  });

  it('a throwing reporter does not stop the others', async () => {
    const boom: Reporter = {
      name: 'boom',
      write: async () => {
        throw new Error('disk on fire');
      },
    };
    const reporters = [
      boom,
      fileReporter('throws-sync', 'x.txt', () => {
        throw new Error('render failed');
      }),
      ...REPORTERS,
    ];
    const printed: string[] = [];
    const { written, failed } = await writeReports(summaryWithThresholds(), dir, { reporters, console: (t) => printed.push(t) });
    expect(failed).toEqual([
      { reporter: 'boom', error: 'disk on fire' },
      { reporter: 'throws-sync', error: 'render failed' },
    ]);
    expect(written).toHaveLength(4);
    expect(printed).toHaveLength(1);
  });

  it('reports an unwritable directory as failures, still printing to the console', async () => {
    const blocker = join(dir, 'file');
    await writeReports(summaryWithThresholds(), dir, { reporters: [fileReporter('plain', 'file', () => 'x')] });
    const printed: string[] = [];
    const { written, failed } = await writeReports(summaryWithThresholds(), join(blocker, 'sub'), { console: (t) => printed.push(t) });
    expect(written).toEqual([]);
    expect(failed.map((f) => f.reporter)).toEqual(['json', 'markdown', 'junit', 'html']);
    expect(printed).toHaveLength(1);
  });
});

describe('console', () => {
  it('prints an aligned endpoint table, agents, coordinator, thresholds and the outcome', () => {
    const text = renderConsole(summaryWithThresholds());
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('ENDPOINT'))!;
    const row = lines.find((l) => l.startsWith('POST /me/report-stats'))!;
    expect(header).toMatch(/ENDPOINT +COUNT +ERRORS +REQ\/S +P50 +P90 +P99 +MAX/);
    // Right-aligned columns end at the same position as their header.
    expect(row.indexOf('100') + 3).toBe(header.indexOf('COUNT') + 5);
    expect(row).toMatch(/100 +3 +10 +50.0ms +90.0ms +99.0ms +100ms$/);
    expect(text).toMatch(/agents +8\/10 connected at end · peak 10 · authenticated 10 · reconnects 3 \(peak 3\/s\)/);
    expect(text).toMatch(/coordinator +sent 110 · delivered 108 \(10.8\/s\) · lost 2/);
    expect(text).toMatch(/✓ p99\(POST \/me\/report-stats\) < 200ms +observed 99.0ms/);
    expect(text).toMatch(/✗ error_rate < 1% +observed 5.33%/);
    expect(text).toMatch(/✗ p99\(GET \/<nope>&\) < 1s +observed n\/a/);
    expect(text).toContain('outcome: FAILED (1/4 thresholds passed)');
  });

  it('leaves the coordinator block out when there is none', () => {
    expect(renderConsole(handFedSummary())).not.toContain('coordinator');
  });

  it("prints a connections line when the agents' HTTP connections were counted", () => {
    const s = handFedSummary();
    expect(renderConsole(s)).not.toContain('connections');
    s.agents.httpConnectionsOpened = 12;
    expect(renderConsole(s)).toMatch(/^connections +12 HTTP connections opened by the agents$/m);
    expect(renderMarkdown(s)).toContain('**Connections:** 12 HTTP connections opened by the agents');
  });
});

describe('junit', () => {
  it('has one testcase per threshold with failures for failing ones, well-formed', () => {
    const xml = renderJunit(summaryWithThresholds());
    assertWellFormedXml(xml);
    expect(xml).toMatch(/<testsuites name="fleetsim" tests="5" failures="3" errors="0"/);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(xml).toContain('name="error_rate &lt; 1%"');
    expect(xml).toContain('message="observed 5.33%"');
  });

  it('marks an interrupted run as an error, even without thresholds', () => {
    const s = handFedSummary();
    s.outcome = 'interrupted';
    const xml = renderJunit(s);
    assertWellFormedXml(xml);
    expect(xml).toMatch(/tests="1" failures="0" errors="1"/);
    expect(xml).toContain('<error type="interrupted" message="run interrupted"/>');
  });

  it('survives hostile text in names', () => {
    const s = handFedSummary();
    s.meta.scenario = 'a<b>&"c\'\u0001';
    assertWellFormedXml(renderJunit(s));
  });
});

describe('formatLiveLine', () => {
  it('prints the progress line', () => {
    expect(
      formatLiveLine({
        elapsedMs: 12_000,
        agentsConnected: 48,
        agentsPlanned: 50,
        peersConnected: 0,
        requestsPerSecond: 132,
        totalRequests: 900,
        totalErrors: 0,
      }),
    ).toBe('  12.0s  agents 48/50  peers 0  req/s 132  errors 0');
  });
});

describe('reporters on sparse summaries', () => {
  it('render an empty run and an interrupted run without throwing', async () => {
    const { createRecorder } = await import('../../src/metrics/recorder.js');
    const { buildSummary } = await import('../../src/metrics/summary.js');
    const { META } = await import('../metrics/fixtures.js');
    const r = createRecorder({ clock: manualClock() });
    r.count('error', 2, { endpoint: 'GET /me/coordinate', class: 'refused' });
    const s = buildSummary(r, { meta: META, agentsPlanned: 5, outcome: 'interrupted' });
    const printed: string[] = [];
    const { written, failed } = await writeReports(s, dir, { console: (t) => printed.push(t) });
    expect(failed).toEqual([]);
    expect(written).toHaveLength(4);
    expect(printed[0]).toContain('outcome: INTERRUPTED (no thresholds)');
    expect(printed[0]).toMatch(/GET \/me\/coordinate +0 +2 +0 +- +- +- +-/);
    assertWellFormedXml(await readFile(join(dir, 'junit.xml'), 'utf8'));
  });
});

describe('redaction safety net', () => {
  it('applies opts.redact to every written and printed report', async () => {
    const s = handFedSummary();
    s.errors.push({ endpoint: 'GET /me/metadata', class: 'leaked-SECRET-TOKEN-123', count: 1 });
    const printed: string[] = [];
    const redact = (t: string) => t.split('SECRET-TOKEN-123').join('[redacted]');
    const { written } = await writeReports(s, dir, { console: (t) => printed.push(t), redact });
    for (const path of written) {
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain('SECRET-TOKEN-123');
      if (!path.endsWith('junit.xml')) expect(text).toContain('[redacted]'); // junit lists no errors
    }
    expect(printed[0]).toContain('leaked-[redacted]');
  });
});
