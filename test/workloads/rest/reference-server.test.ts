import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { createRecorder } from '../../../src/metrics/recorder.js';
import { buildSummary } from '../../../src/metrics/summary.js';
import { METRIC } from '../../../src/metrics/names.js';
import type { MetricSink } from '../../../src/metrics/sink.js';
import { createReferenceServer, type ReferenceServer } from '../../../src/server/reference-server.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { restKind } from '../../../src/workloads/rest/kind.js';
import { createRestWorkload } from '../../../src/workloads/rest/rest-workload.js';
import type { RestConfig } from '../../../src/workloads/rest/section.js';
import type { WorkloadContext } from '../../../src/workloads/workload.js';
import { recordingSink } from '../../helpers/sink.js';

function ctx(server: ReferenceServer, metrics: MetricSink): WorkloadContext {
  return {
    signal: new AbortController().signal,
    clock: systemClock(),
    metrics,
    target: { url: server.url, embedded: true },
    credentials: server.credentials,
    rng: createRng('rest-it'),
    log: silentLogger,
  };
}

const closed = (mix: Record<string, number>, amount: number): RestConfig =>
  sectionConfig(restKind, { mix, model: 'closed', connections: 4, amount }, { durationMs: 60_000 });

describe('REST workload against the reference server', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('spreads valid agent-side traffic over every agent (server counters agree)', async () => {
    server = await createReferenceServer({ agents: 6, seed: 'rest', rateLimit: 0 });
    const sink = recordingSink();
    const { samples: calls, by } = sink;
    const mix = {
      'GET /{id}': 1,
      'GET /{id}/connection': 1,
      'GET /me/metadata': 1,
      'GET /me/gitsshkey': 1,
      'POST /me/report-stats': 1,
      'POST /me/app-health': 1,
      'POST /me/version': 1,
      'POST /me/report-lifecycle': 1,
    };
    await createRestWorkload(closed(mix, 480)).run(ctx(server, sink));

    expect(calls.filter((c) => c.name === METRIC.error)).toEqual([]);
    const recorded = by('trend', METRIC.request, 'endpoint');
    const { totals, agents } = server.counters();
    expect(totals.reportStats).toBeGreaterThanOrEqual(recorded['POST /me/report-stats']!);
    expect(totals.reportStatsZero).toBe(0);
    expect(totals.versionPosts).toBeGreaterThanOrEqual(recorded['POST /me/version']!);
    expect(totals.appHealth).toBeGreaterThanOrEqual(recorded['POST /me/app-health']!);
    for (const agent of server.credentials.agents) {
      const seen = agents[agent.id]!;
      expect(seen.reportStats).toBeGreaterThan(0);
      expect(seen.metadataGets).toBeGreaterThan(0);
      expect(seen.lifecycleStates.every((s) => s === 'ready')).toBe(true);
      if (agent.apps.some((a) => a.healthcheck)) expect(seen.appHealth).toBeGreaterThan(0);
      else expect(seen.appHealth).toBe(0);
    }
  });

  it("counts an injected 500 and the real rate limiter's 429s, with the X-RateLimit gauges", async () => {
    server = await createReferenceServer({ agents: 3, seed: 'rest', rateLimit: 5 });
    server.faults.set('GET /me/gitsshkey', { status: 500 });
    const sink = recordingSink();
    const { samples: calls, by } = sink;
    // One connection so the limiter sees the requests in send order.
    await createRestWorkload({ ...closed({ 'GET /me/gitsshkey': 1, 'POST /me/version': 1 }, 40), connections: 1 }).run(ctx(server, sink));

    const recorded = by('trend', METRIC.request, 'endpoint');
    expect(recorded).toEqual({ 'GET /me/gitsshkey': 20, 'POST /me/version': 20 });
    const errors: Record<string, number> = {};
    for (const c of calls.filter((x) => x.name === METRIC.error))
      errors[`${c.tags.endpoint}|${c.tags.class}`] = (errors[`${c.tags.endpoint}|${c.tags.class}`] ?? 0) + 1;
    // The limiter keys by IP + path: /me/version is one path for every agent, 5 per minute pass.
    // gitsshkey is limited too (the limiter runs before faults): 5 reach the fault, 15 are 429s.
    expect(errors).toEqual({ 'POST /me/version|rate_limited': 15, 'GET /me/gitsshkey|http_500': 5, 'GET /me/gitsshkey|rate_limited': 15 });
    const last = (name: string, endpoint: string) => calls.filter((c) => c.name === name && c.tags.endpoint === endpoint).at(-1)?.value;
    expect(last(METRIC.rateLimitLimit, 'POST /me/version')).toBe(5);
    expect(last(METRIC.rateLimitRemaining, 'POST /me/version')).toBe(0);
  });

  it("lands in the summary endpoints and errors beside another workload's numbers", async () => {
    server = await createReferenceServer({ agents: 2, seed: 'rest', rateLimit: 0 });
    server.faults.set('POST /me/report-stats', { status: 500, every: 2 });
    const clock = systemClock();
    const recorder = createRecorder({ clock });
    // Another workload (say the fleet) recording into the same sink.
    recorder.trend(METRIC.request, 3.5, { endpoint: 'GET /me/coordinate' });
    recorder.count(METRIC.error, 1, { endpoint: 'GET /me/coordinate', class: 'ws_close_1011' });
    recorder.trend(METRIC.request, 1.25, { endpoint: 'POST /me/report-stats' });

    await createRestWorkload({ ...closed({ 'POST /me/report-stats': 1, 'GET /{id}': 1 }, 100), connections: 1 }).run({ ...ctx(server, recorder), clock });
    const startedAt = new Date(recorder.startedAtMs).toISOString();
    const summary = buildSummary(recorder, {
      meta: { scenario: 'rest-it', seed: '1', target: 'embedded', startedAt, endedAt: new Date().toISOString(), fleetsimVersion: 'test', runId: 'r' },
      agentsPlanned: 2,
    });
    expect(summary.endpoints['GET /{id}']).toMatchObject({ count: 50, errors: 0 });
    expect(summary.endpoints['POST /me/report-stats']).toMatchObject({ count: 51, errors: 25 });
    expect(summary.endpoints['GET /me/coordinate']).toMatchObject({ count: 1, errors: 1 });
    expect(summary.errors).toEqual([
      { endpoint: 'POST /me/report-stats', class: 'http_500', count: 25 },
      { endpoint: 'GET /me/coordinate', class: 'ws_close_1011', count: 1 },
    ]);
    expect(summary.totals).toMatchObject({ requests: 102, errors: 26 });
    expect(summary.endpoints['GET /{id}']!.p50).toBeGreaterThan(0);
  });
});
