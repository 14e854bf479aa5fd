import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { METRIC } from '../../../src/metrics/names.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { restKind } from '../../../src/workloads/rest/kind.js';
import { createRestWorkload } from '../../../src/workloads/rest/rest-workload.js';
import type { restSection } from '../../../src/workloads/rest/section.js';
import { manualClock } from '../../helpers/clock.js';
import { recordingSink } from '../../helpers/sink.js';
import { context, fakeCredentials, startDouble, type DoubleServer, type SeenRequest } from './helpers.js';

/** The `rest` section as the scenario schema resolves it, in a run of `runMs`. */
const rest = (input: z.input<typeof restSection>, runMs = 60_000) => sectionConfig(restKind, input, { durationMs: runMs });

const BASE = '/api/v2/workspaceagents';

/** The route template a concrete request was sent to. */
function template(req: SeenRequest): string {
  const path = req.url.slice(BASE.length);
  if (path.startsWith('/me/')) return `${req.method} ${path}`;
  return `${req.method} ${path.replace(/^\/[0-9a-f-]{36}/, '/{id}')}`;
}

const countBy = <T>(items: T[], key: (t: T) => string) => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};

describe('REST workload against a node:http double', () => {
  let server: DoubleServer;
  beforeEach(async () => {
    server = await startDouble();
  });
  afterEach(async () => {
    await server.close();
  });

  it('honours the mix weights on a count-bounded run and records every response per template', async () => {
    const mix = {
      'GET /{id}': 3,
      'GET /{id}/connection': 1,
      'GET /{id}/listening-ports': 1,
      'GET /me/metadata': 2,
      'GET /me/gitsshkey': 1,
      'POST /me/report-stats': 4,
      'POST /me/app-health': 1,
      'POST /me/version': 1,
      'POST /me/report-lifecycle': 1,
    };
    const total = Object.values(mix).reduce((a, b) => a + b, 0);
    const sink = recordingSink();
    const { by, samples: calls } = sink;
    const credentials = fakeCredentials(server.url, 20);
    const workload = createRestWorkload(rest({ mix, model: 'closed', connections: 8, pipelining: 2, amount: 2000 }));
    expect(workload.kind).toBe('rest');
    await workload.run(context(server.url, credentials, sink));

    expect(server.seen.length).toBe(2000);
    const served = countBy(server.seen, template);
    const recorded = by('trend', METRIC.request, 'endpoint');
    for (const [endpoint, weight] of Object.entries(mix)) {
      const expected = (2000 * weight) / total;
      expect(Math.abs((served[endpoint] ?? 0) - expected)).toBeLessThanOrEqual(expected * 0.05 + 2);
      expect(recorded[endpoint]).toBeLessThanOrEqual(served[endpoint]!);
    }
    // autocannon stops a connection once its share is sent and ignores the answers still in
    // flight (pipelining - 1 per connection): those are neither samples nor errors.
    const recordedTotal = Object.values(recorded).reduce((a, b) => a + b, 0);
    expect(recordedTotal).toBeGreaterThanOrEqual(2000 - 8 * (2 - 1));
    // Latencies are µs-precise, not autocannon's whole milliseconds.
    const latencies = calls.filter((c) => c.kind === 'trend').map((c) => c.value);
    expect(latencies.every((ms) => ms > 0 && Number.isFinite(ms))).toBe(true);
    expect(latencies.some((ms) => !Number.isInteger(ms))).toBe(true);
    expect(calls.filter((c) => c.name === METRIC.error)).toEqual([]);
  });

  it('rotates through every agent and token with valid bodies', async () => {
    const sink = recordingSink();
    const credentials = fakeCredentials(server.url, 12);
    const mix = { 'GET /{id}': 1, 'POST /me/report-stats': 1, 'POST /me/app-health': 1, 'POST /me/version': 1, 'POST /me/report-lifecycle': 1 };
    await createRestWorkload(rest({ mix, model: 'closed', connections: 4, pipelining: 1, amount: 300 })).run(context(server.url, credentials, sink));

    const userSide = server.seen.filter((r) => template(r) === 'GET /{id}');
    expect(new Set(userSide.map((r) => r.url.slice(BASE.length + 1)))).toEqual(new Set(credentials.agents.map((a) => a.id)));
    expect(userSide.every((r) => r.token === credentials.userToken)).toBe(true);

    const stats = server.seen.filter((r) => template(r) === 'POST /me/report-stats');
    expect(new Set(stats.map((r) => r.token))).toEqual(new Set(credentials.agents.map((a) => a.token)));
    for (const r of stats) {
      const body = JSON.parse(r.body);
      expect(body.rx_bytes).toBeGreaterThan(0);
      expect(body.tx_bytes).toBeGreaterThan(0);
    }

    const health = server.seen.filter((r) => template(r) === 'POST /me/app-health');
    const withApps = credentials.agents.filter((a) => a.apps.some((app) => app.healthcheck));
    expect(new Set(health.map((r) => r.token))).toEqual(new Set(withApps.map((a) => a.token)));
    for (const r of health) {
      const agent = credentials.agents.find((a) => a.token === r.token)!;
      const app = agent.apps.find((a) => a.healthcheck)!;
      expect(JSON.parse(r.body)).toEqual({ Healths: { [app.id]: 'healthy' } });
    }
    for (const r of server.seen.filter((x) => template(x) === 'POST /me/version')) expect(JSON.parse(r.body)).toEqual({ version: 'v0.15.3' });
    for (const r of server.seen.filter((x) => template(x) === 'POST /me/report-lifecycle')) expect(JSON.parse(r.body)).toEqual({ state: 'ready' });
  });

  it('counts 500 and 429 by class and keeps the X-RateLimit headers as gauges', async () => {
    server.respond = (req) => {
      const t = template(req);
      if (t === 'GET /me/metadata') return { status: 500 };
      if (t === 'GET /{id}') return { status: 429, headers: { 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': '0' } };
      return { status: t === 'POST /me/report-lifecycle' ? 204 : 200, headers: { 'X-RateLimit-Limit': '512', 'X-RateLimit-Remaining': '77' } };
    };
    const sink = recordingSink();
    const { samples: calls, by } = sink;
    const mix = { 'GET /{id}': 1, 'GET /me/metadata': 1, 'POST /me/report-lifecycle': 2 };
    await createRestWorkload(rest({ mix, model: 'closed', connections: 2, pipelining: 3, amount: 400 })).run(
      context(server.url, fakeCredentials(server.url, 5), sink),
    );
    // With pipelining 3 the answers are matched to their requests in order: every metadata
    // answer is a 500, every {id} answer a 429, no lifecycle answer an error. autocannon drops
    // the answers in flight when a connection reaches its share (2 connections x 2).
    const recorded = by('trend', METRIC.request, 'endpoint');
    expect(recorded['GET /me/metadata']).toBeGreaterThanOrEqual(96);
    expect(recorded['GET /{id}']).toBeGreaterThanOrEqual(96);
    expect(recorded['POST /me/report-lifecycle']).toBeGreaterThanOrEqual(196);
    const errors = calls.filter((c) => c.name === METRIC.error);
    expect(countBy(errors, (c) => `${c.tags.endpoint}|${c.tags.class}`)).toEqual({
      'GET /me/metadata|http_500': recorded['GET /me/metadata'],
      'GET /{id}|rate_limited': recorded['GET /{id}'],
    });
    const last = (name: string, endpoint: string) => calls.filter((c) => c.name === name && c.tags.endpoint === endpoint).at(-1)?.value;
    expect(last(METRIC.rateLimitLimit, 'GET /{id}')).toBe(5);
    expect(last(METRIC.rateLimitRemaining, 'GET /{id}')).toBe(0);
    expect(last(METRIC.rateLimitRemaining, 'POST /me/report-lifecycle')).toBe(77);
    expect(last(METRIC.rateLimitLimit, 'GET /me/metadata')).toBeUndefined();
  });

  it('counts requests lost with a destroyed socket or a timeout under their endpoints (real autocannon)', async () => {
    let version = 0;
    server.respond = (req) => {
      const t = template(req);
      if (t === 'POST /me/version' && ++version <= 2) return { status: 0, destroy: true };
      if (t === 'GET /me/gitsshkey') return { status: 0, hang: true };
      return undefined;
    };
    const sink = recordingSink();
    const { samples: calls, by } = sink;
    // 1 connection, no pipelining: one gitsshkey hangs until autocannon's 1 s timeout.
    const mix = { 'GET /{id}': 8, 'POST /me/version': 1, 'GET /me/gitsshkey': 1 };
    await createRestWorkload(rest({ mix, model: 'closed', connections: 1, pipelining: 1, amount: 12 }), { timeoutMs: 1 }).run(
      context(server.url, fakeCredentials(server.url, 3), sink),
    );
    const errors = countBy(
      calls.filter((c) => c.name === METRIC.error),
      (c) => `${c.tags.endpoint}|${c.tags.class}`,
    );
    expect(errors['GET /me/gitsshkey|timeout']).toBe(1);
    expect(errors['POST /me/version|reset']).toBeGreaterThanOrEqual(1);
    // A lost attempt is a sample too (time until the loss was noticed).
    expect(by('trend', METRIC.request, 'endpoint')['GET /me/gitsshkey']).toBe(1);
    expect(by('trend', METRIC.request, 'endpoint')['GET /{id}']).toBeGreaterThan(0);
  });

  it('runs the open model at a fixed rate: a stalled second holds `rate` intended sends; stops on abort', async () => {
    // Every answer is held. With a manual clock each connection's first request waits exactly
    // 1 s; the open model then owes, per connection, one sample per intended send time of that
    // second (every connections/rate s: 1000, 990, …, 10 ms). Over all connections that is
    // `rate` samples: the intended schedule, counted without reading wall time.
    const sink = recordingSink();
    const { samples: calls } = sink;
    const clock = manualClock();
    const controller = new AbortController();
    let firstHeld: () => void = () => {};
    const allFirstHeld = new Promise<void>((resolve) => (firstHeld = resolve));
    server.respond = () => {
      // Called before this request joins `held`: the 4th request (one per connection) is here.
      if (server.held.length === 3) firstHeld();
      return { hold: true };
    };
    const samples = () => calls.filter((c) => c.kind === 'trend' && c.name === METRIC.request);
    let sampled: () => void = () => {};
    const allSampled = new Promise<void>((resolve) => (sampled = resolve));
    const countingSink = {
      ...sink,
      trend: (name: string, ms: number, tags?: Record<string, string>) => {
        sink.trend(name, ms, tags);
        if (samples().length === 400) sampled();
      },
    };
    const workload = createRestWorkload(rest({ mix: { 'GET /me/gitsshkey': 1 }, model: 'open', rate: 400, connections: 4, pipelining: 1 }));
    const running = workload.run({ ...context(server.url, fakeCredentials(server.url, 3), countingSink, controller.signal), clock });

    await allFirstHeld;
    expect(server.held).toHaveLength(4);
    clock.advance(1000);
    for (const release of server.held.splice(0)) release();
    await allSampled;
    controller.abort();
    await running;

    // Later requests are held until the abort: in flight, so neither samples nor errors.
    const latencies = samples().map((c) => c.value);
    expect(latencies).toHaveLength(400);
    const perInterval = new Map<number, number>();
    for (const ms of latencies) perInterval.set(ms, (perInterval.get(ms) ?? 0) + 1);
    expect([...perInterval.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => 10 * (i + 1)));
    expect([...perInterval.values()].every((n) => n === 4)).toBe(true);
    expect(calls.filter((c) => c.name === METRIC.error)).toEqual([]);
    expect(server.seen.length).toBeGreaterThan(4);
  });

  it('ends by itself when its duration is over', async () => {
    const sink = recordingSink();
    const { by } = sink;
    const signal = new AbortController().signal;
    // No amount and no abort: only the 200 ms duration can end it (the test's own timeout is
    // the bound). Ending means autocannon's connections are closed, so nothing more is sent.
    await createRestWorkload(rest({ mix: { 'GET /{id}': 1, 'POST /me/version': 1 }, model: 'closed', connections: 2, pipelining: 1, duration: 200 })).run(
      context(server.url, fakeCredentials(server.url, 2), sink, signal),
    );
    expect(signal.aborted).toBe(false);
    await server.allClosed();
    const recorded = by('trend', METRIC.request, 'endpoint');
    expect(recorded['GET /{id}']).toBeGreaterThan(0);
    expect(recorded['POST /me/version']).toBeGreaterThan(0);
  });

  it('does nothing when aborted during startAfter', async () => {
    const sink = recordingSink();
    const { samples: calls } = sink;
    const controller = new AbortController();
    const running = createRestWorkload(
      rest({ mix: { 'GET /{id}': 1 }, model: 'closed', connections: 1, pipelining: 1, duration: 1000, startAfter: 600_000 }, 3_600_000),
    ).run(context(server.url, fakeCredentials(server.url, 1), sink, controller.signal));
    controller.abort();
    await running;
    expect(calls).toEqual([]);
    expect(server.seen).toEqual([]);
  });

  it('refuses app-health when no agent has a health-checked app', async () => {
    const credentials = fakeCredentials(server.url, 1);
    credentials.agents[0]!.apps = [];
    const workload = createRestWorkload(rest({ mix: { 'POST /me/app-health': 1 }, model: 'closed', connections: 1, pipelining: 1, duration: 1000 }));
    await expect(workload.run(context(server.url, credentials, recordingSink()))).rejects.toMatchObject({ code: 'usage' });
  });
});
