import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { renderHtml } from '../../src/reporters/html.js';
import { manualClock } from '../helpers/clock.js';
import { faultedSummary, handFedSummary, META } from '../metrics/fixtures.js';

/** Headings and chart titles, in page order. */
const titles = (html: string) => [...html.matchAll(/<h2>([^<]*)<\/h2>|<text x="[^"]*" y="16" class="t">([^<]*)<\/text>/g)].map((m) => m[1] ?? m[2]);

/** A report must open offline: nothing fetched, nothing run. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(/i);
  expect(html).not.toMatch(/\s(?:src|href|srcset|xlink:href)\s*=/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no event handler attributes
  expect(html).not.toMatch(/NaN|Infinity|undefined/);
}

function withGenerator(s: RunSummary): RunSummary {
  s.generator = {
    eventLoopDelayMs: { p50: 1, p99: 80, max: 120 },
    cpuPercent: { mean: 40, max: 99 },
    maxRssBytes: 200_000_000,
    seconds: 10,
    saturatedSeconds: 3,
    verdict: 'saturated',
    perSecond: {
      atS: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      eventLoopP99Ms: [2, 2, 90, 95, 2, 2, 2, 2, 70, 2],
      cpuPercent: [30, 30, 99, 99, 30, 30, 30, 30, 40, 30],
      saturated: [false, false, true, true, false, false, false, false, true, false],
    },
  };
  return s;
}

describe('report.html', () => {
  it('has a chart for every per-second series of the summary, with axes and units', () => {
    const html = renderHtml(withGenerator(handFedSummary({ coordinator: true })));
    expect(titles(html)).toEqual([
      'Over time',
      'Throughput and latency, all requests',
      'Connected agents',
      'Coordinator node updates delivered',
      'Errors by class',
      'Harness health',
      'Generator health (the harness itself, not the target)',
      'Latency per endpoint',
      // Busiest endpoint first.
      'POST /me/report-stats',
      'GET /me/metadata',
      'Endpoints',
      'Steady phase',
      'Errors',
      'Coordinator',
      'Coordinator propagation latency by percentile (send → receive of a node update)',
      'Rate limit (last headers seen)',
    ]);
    expect(html).toContain('>latency (ms)</text>');
    expect(html).toContain('>errors/s</text>');
    expect(html).toContain('>time since start</text>');
    expect(html).toContain('>p99.9</text>');
    // Errors by class: the fixture's two classes each get a line.
    const errors = html.split('<svg').find((svg) => svg.includes('aria-label="Errors by class"'))!;
    expect(errors).toContain('>http_500</text>');
    expect(errors).toContain('>timeout</text>');
    // Two saturated stretches: seconds 3–4 and 9.
    expect(html.match(/<rect class="saturated-band"/g)).toHaveLength(2);
    expectSelfContained(html);
  });

  it('shows faults as a timeline and as bands, and the fault proxy when present', () => {
    const s = faultedSummary();
    s.proxy = {
      placement: 'child-process',
      note: 'every connection went through the fault proxy',
      connectionsOpened: 120,
      peakTargetOpen: 100,
      peakClientOpen: 101,
      reset: 100,
      refused: 5,
      targetFailed: 0,
      bytesUpstream: 2048,
      bytesDownstream: 4096,
      cpuMs: 250,
    };
    const html = renderHtml(s);
    expect(titles(html)).toContain('Fault timeline');
    expect(html).toContain('<h3>Fault proxy</h3>');
    expect(html).toContain('<td>120</td><td>101 / 100</td><td>100</td><td>5</td>');
    expectSelfContained(html);
  });

  it('escapes hostile endpoint names, error classes and scenario names everywhere', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    const endpoint = 'GET /<script>alert(1)</script>';
    const cls = '"><img src=x onerror=alert(1)>';
    for (let i = 0; i < 20; i++) {
      clock.set(i * 100);
      r.trend(METRIC.request, 5, { endpoint });
    }
    r.count(METRIC.error, 3, { endpoint, class: cls });
    const s = buildSummary(r, { meta: { ...META, scenario: '<b>x</b>' }, agentsPlanned: 0 });
    expect(s.timeSeriesEndpoints?.[endpoint]).toBeDefined();
    expect(s.timeSeriesErrors?.[cls]).toBeDefined();
    const html = renderHtml(s);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('GET /&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expectSelfContained(html.replaceAll('src=x onerror=alert(1)', ''));
  });

  it('renders an empty run and a one-second run without broken figures', () => {
    const empty = buildSummary(createRecorder({ clock: manualClock() }), { meta: { ...META, endedAt: META.startedAt }, agentsPlanned: 0 });
    const oneSecond = renderHtml(empty);
    expect(oneSecond).toContain('<h2>Over time</h2>');
    expectSelfContained(oneSecond);
    const none = renderHtml({ ...empty, timeSeries: [] });
    expect(none).toContain('No per-second data');
    expect(none).not.toContain('<svg');
    expectSelfContained(none);
  });

  it('folds a long run into at most 600 points per line', () => {
    const s = handFedSummary();
    const n = 7200;
    s.timeSeries = Array.from({ length: n }, (_, t) => ({
      t,
      requests: 100,
      errors: t % 50,
      connected: 10,
      p99Ms: 5 + (t % 7),
      delivered: 0,
      agentP99Ms: null,
      reconnects: 0,
    }));
    s.timeSeriesEndpoints = { [ENDPOINT.reportStats]: { p50Ms: s.timeSeries.map(() => 1), p99Ms: s.timeSeries.map((p) => p.p99Ms) } };
    s.timeSeriesErrors = { timeout: s.timeSeries.map((p) => p.errors) };
    const html = renderHtml(s);
    for (const m of html.matchAll(/<polyline points="([^"]*)"/g)) expect(m[1]!.split(' ').length).toBeLessThanOrEqual(600);
    expect(html).toContain('one point per 12 s');
    expect(html).toContain('>1h</text>');
    expect(html).toContain('>1h45m</text>');
    expect(html.length).toBeLessThan(400_000);
    expectSelfContained(html);
  });
});
