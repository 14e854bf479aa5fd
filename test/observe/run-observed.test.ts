import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { runScenario, type RunObserveOptions } from '../../src/runner/run-scenario.js';
import { validateScenario } from '../../src/scenario/load.js';
import { assertWellFormedXml } from '../reporters/xml-check.js';
import { checkHistograms, parseExposition, sampleValue, type Family } from './exposition.js';
import { calmProbe, fakeGcSource, laggingProbe } from './fake-probe.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A small hermetic scenario: agents with stats, peers exchanging node updates. */
function scenario(extra: Record<string, unknown> = {}) {
  return validateScenario(
    {
      name: 'observe-test',
      seed: 'observe',
      duration: '3s',
      server: { reportInterval: '1s', rateLimit: -1, heartbeat: '1s', inactiveTimeout: '2s' },
      agents: { count: 4, rampUp: '500ms', auth: { token: 1 }, nodeUpdateInterval: '1s' },
      peers: { perAgent: 1, updateRate: 2, drainWindow: '500ms' },
      ...extra,
    },
    'test',
  );
}

async function run(observe: RunObserveOptions, extra: Record<string, unknown> = {}) {
  const outDir = await mkdtemp(join(tmpdir(), 'fleetsim-observe-'));
  dirs.push(outDir);
  const result = await runScenario({ scenario: scenario({ duration: '2s', ...extra }), outDir, log: createLogger({ level: 'silent' }), observe });
  return result;
}

describe('watching a run', () => {
  it('serves /metrics during the run; at the end its counters equal the summary; it closes with the run', async () => {
    let url = '';
    let duringRun: Map<string, Family> | undefined;
    let polling: Promise<void> = Promise.resolve();
    let finalText = '';
    const result = await run(
      {
        metricsAddr: '127.0.0.1:0',
        probe: calmProbe(),
        onListening: (listening) => {
          url = listening;
          // Scrape while the fleet runs until agents show as connected (bounded: at most ~10 s).
          polling = (async () => {
            for (let i = 0; i < 100 && !duringRun; i++) {
              const families = parseExposition(await scrape(listening));
              if ((sampleValue(families, 'fleetsim_agents_connected') ?? 0) > 0) duringRun = families;
              else await new Promise((resolve) => setTimeout(resolve, 100));
            }
          })();
        },
        beforeClose: async (listening) => {
          await polling;
          finalText = await scrape(listening);
        },
      },
      { duration: '3s' },
    );
    const summary: RunSummary = result.summary;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    // During the run: valid exposition with live figures.
    expect(duringRun).toBeDefined();
    checkHistograms(duringRun!);
    expect(sampleValue(duringRun!, 'fleetsim_agents_planned')).toBeGreaterThan(0);
    expect(sampleValue(duringRun!, 'fleetsim_run_info', { scenario: 'observe-test', target: 'embedded' })).toBe(1);

    // At the end: every count equals the report's.
    const end = parseExposition(finalText);
    expect(checkHistograms(end)).toBeGreaterThanOrEqual(Object.keys(summary.endpoints).length);
    expect(Object.keys(summary.endpoints).length).toBeGreaterThan(0);
    expect(Object.values(summary.endpoints).some((e) => (e.queued?.count ?? 0) > 0 && (e.service?.count ?? 0) > 0)).toBe(true);
    for (const [endpoint, stats] of Object.entries(summary.endpoints)) {
      expect(sampleValue(end, 'fleetsim_requests_total', { endpoint }), endpoint).toBe(stats.count);
      if (stats.count > 0) expect(sampleValue(end, 'fleetsim_request_duration_seconds_count', { endpoint }), endpoint).toBe(stats.count);
      // The queued/service split: the same samples as the report's "where the time went".
      if (stats.queued) expect(sampleValue(end, 'fleetsim_request_queued_seconds_count', { endpoint }), endpoint).toBe(stats.queued.count);
      if (stats.service) expect(sampleValue(end, 'fleetsim_request_service_seconds_count', { endpoint }), endpoint).toBe(stats.service.count);
    }
    for (const row of summary.errors) {
      expect(sampleValue(end, 'fleetsim_request_errors_total', { endpoint: row.endpoint, class: row.class })).toBe(row.count);
    }
    const errorSamples = end.get('fleetsim_request_errors_total')?.samples ?? [];
    expect(errorSamples.reduce((n, s) => n + s.value, 0)).toBe(summary.totals.errors);
    expect(sampleValue(end, 'fleetsim_agents_authenticated_total')).toBe(summary.agents.authenticated);
    expect(summary.agents.authenticated).toBe(4);
    expect(sampleValue(end, 'fleetsim_coordinate_reconnects_total')).toBe(summary.agents.reconnects);
    const c = summary.coordinator!;
    expect(c.updatesDelivered).toBeGreaterThan(0);
    // Summed over every label set of the family (e.g. both directions).
    const sum = (name: string) =>
      [...end.values()]
        .flatMap((f) => f.samples)
        .filter((s) => s.name === name)
        .reduce((n, s) => n + s.value, 0);
    expect(sum('fleetsim_coordinator_updates_sent_total')).toBe(c.updatesSent);
    expect(sum('fleetsim_coordinator_updates_delivered_total')).toBe(c.updatesDelivered);
    expect(sum('fleetsim_coordinator_updates_lost_total')).toBe(c.lost);
    expect(sum('fleetsim_coordinator_updates_duplicated_total')).toBe(c.duplicated);
    expect(sum('fleetsim_coordinator_propagation_seconds_count')).toBe(c.propagationMs.count);
    expect(sampleValue(end, 'fleetsim_generator_sampled_seconds_total')).toBe(summary.generator!.seconds);
    expect(sampleValue(end, 'fleetsim_generator_saturated_seconds_total')).toBe(0);

    // Closed with the run.
    await expect(scrape(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a saturated harness makes the run invalid (exit 11) whatever its thresholds said, in every report', async () => {
    const result = await run({ probe: laggingProbe() }, { thresholds: ['error_rate <= 100%'] });
    expect(result.summary.thresholds.every((t) => t.pass)).toBe(true);
    expect(result.summary.outcome).toBe('invalid');
    expect(result.exitCode).toBe(11);
    expect(result.summary.generator).toMatchObject({ verdict: 'saturated', eventLoopDelayMs: { p99: 210 } });
    expect(result.summary.generator!.saturatedSeconds).toBe(result.summary.generator!.seconds);
    const md = await readFile(join(result.reportDir, 'summary.md'), 'utf8');
    expect(md).toContain('🚫 invalid');
    expect(md).toContain('fewer agents per process');
    const junit = await readFile(join(result.reportDir, 'junit.xml'), 'utf8');
    assertWellFormedXml(junit);
    expect(junit).toContain('<failure type="saturated"');
    const html = await readFile(join(result.reportDir, 'report.html'), 'utf8');
    expect(html).toContain('b-invalid');
    const json = JSON.parse(await readFile(join(result.reportDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(json.outcome).toBe('invalid');
  });

  it('--allow-saturated keeps the outcome and marks the report', async () => {
    const result = await run({ probe: laggingProbe(), allowSaturated: true });
    expect(result.summary.outcome).toBe('passed');
    expect(result.exitCode).toBe(0);
    expect(result.summary.generator).toMatchObject({ verdict: 'saturated', saturationAllowed: true });
    const md = await readFile(join(result.reportDir, 'summary.md'), 'utf8');
    expect(md).toContain('kept by --allow-saturated');
    const junit = await readFile(join(result.reportDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<skipped message="harness saturated, kept by --allow-saturated');
  });

  it('reports the harness GC per second, in the summary, in every report and on /metrics', async () => {
    // A GC source that reports a 120 ms major pause and a 2 ms scavenge the moment the run starts.
    const gc = fakeGcSource();
    const start = gc.start;
    gc.start = (onPause) => {
      start(onPause);
      const now = Date.now();
      gc.emit({ atMs: now, durationMs: 120, kind: 'major' });
      gc.emit({ atMs: now, durationMs: 2, kind: 'minor' });
    };
    let finalText = '';
    const result = await run({
      metricsAddr: '127.0.0.1:0',
      probe: { ...calmProbe(), gc },
      beforeClose: async (listening) => {
        finalText = await scrape(listening);
      },
    });
    const g = result.summary.generator!.gc!;
    expect(g).toMatchObject({ totalPauseMs: 122, pauses: 2, maxPauseMs: 120, maxPauseKind: 'major', majorCount: 1, worstSecondPauseMs: 122 });
    const t = g.worstSecond!;
    expect(g.longPauses).toEqual([{ t, pauseMs: 120, kind: 'major' }]);
    const rows = result.summary.timeSeries.filter((row) => row.gc);
    expect(rows.map((row) => row.t)).toEqual([t]);
    expect(rows[0]!.gc).toEqual({ pauseMs: 122, pauses: 2, maxPauseMs: 120, majorPauseMs: 120 });

    const end = parseExposition(finalText);
    expect(sampleValue(end, 'fleetsim_generator_gc_pause_seconds_total', { kind: 'major' })).toBeCloseTo(0.12, 9);
    expect(sampleValue(end, 'fleetsim_generator_gc_pause_seconds_total', { kind: 'minor' })).toBeCloseTo(0.002, 9);
    expect(sampleValue(end, 'fleetsim_generator_gc_pauses_total', { kind: 'major' })).toBe(1);

    const md = await readFile(join(result.reportDir, 'summary.md'), 'utf8');
    expect(md).toContain('**GC:** paused 122ms');
    expect(md).toContain('GC pauses of 50 ms or more:');
    expect(md).toContain(`- second ${t}: a 120ms major GC pause`);
    const junit = await readFile(join(result.reportDir, 'junit.xml'), 'utf8');
    assertWellFormedXml(junit);
    expect(junit).toContain('<property name="gc.maxPauseMs" value="120"/>');
    expect(junit).toContain(`second ${t}: a 120ms major GC pause`);
    const html = await readFile(join(result.reportDir, 'report.html'), 'utf8');
    expect(html).toContain('GC paused 122ms');
    const json = JSON.parse(await readFile(join(result.reportDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(json.generator!.gc!.majorCount).toBe(1);
    expect(json.timeSeries[t]!.gc!.maxPauseMs).toBe(120);
  });

  // The real probe measures this process on a shared machine: a heavy test file scheduled beside
  // this one (or another job on the host) can lag the event loop for one of the run's few seconds.
  // Retries absorb that; a harness that saturates on a 5-agent run fails all three attempts.
  it('a normal small run with the real probe stays ok', { retry: 2 }, async () => {
    const result = await run({}, { thresholds: ['error_rate < 1%'] });
    expect(result.summary.generator!.seconds).toBeGreaterThanOrEqual(2);
    expect(result.summary.generator!.verdict).toBe('ok');
    // The real probe observes GC (a run this short may have had no pause at all).
    expect(result.summary.generator!.gc).toMatchObject({ longPauseMs: 50 });
    expect(result.summary.outcome).toBe('passed');
    expect(result.exitCode).toBe(0);
  });
});
