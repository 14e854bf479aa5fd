import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatcher } from 'undici';
import { systemClock } from '../../src/core/clock.js';
import { AgentApiClient } from '../../src/client/agent-client.js';
import { createHttpTransport, send, type HttpTransport } from '../../src/client/http.js';
import { UserApiClient } from '../../src/client/user-client.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { manualClock } from '../helpers/clock.js';
import { recordingSink } from '../helpers/sink.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const TOKEN = '5f0c6d3e-8a8b-4a52-9d6f-0c2b3f9f1a11';
let server: Server;
let transport: HttpTransport;
const seen: Seen[] = [];
const hanging = new Set<() => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = req.url ?? '';
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(status === 204 ? undefined : JSON.stringify(value) + '\n');
      };
      if (path.endsWith('/me/report-lifecycle')) return json(JSON.parse(body).state === 'ready' ? 204 : 200, null);
      if (path.endsWith('/me/report-stats'))
        return json(200, { report_interval: 600_000_000_000 }, { 'x-ratelimit-limit': '512', 'x-ratelimit-remaining': '511' });
      if (path.endsWith('/me/metadata')) return json(401, { message: 'Workspace agent not authorized.' });
      if (path.endsWith('/me/gitsshkey')) {
        hanging.add(() => res.destroy());
        return; // never answers: the client must time out
      }
      if (path.endsWith('/aws-instance-identity')) return json(200, { session_token: TOKEN });
      if (path.endsWith('/me/gitauth?url=https%3A%2F%2Fgithub.com%2Fcoder%2Fcoder.git')) return json(200, { username: 'u', password: '', url: '' });
      if (path.includes('/listening-ports')) return json(200, { ports: [] });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('not json');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  transport = createHttpTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: 4 });
});

afterAll(async () => {
  for (const end of hanging) end();
  await transport.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('AgentApiClient', () => {
  it('sends the token in Coder-Session-Token and app health under "Healths"', async () => {
    const metrics = recordingSink();
    const client = new AgentApiClient({ transport, metrics, clock: systemClock() }, 5000, TOKEN);
    const result = await client.postAppHealth({ '11111111-1111-4111-8111-111111111111': 'healthy' });
    expect(result.errorClass).toBe('protocol'); // the fake answered text/plain "not json"
    const last = seen[seen.length - 1]!;
    expect(last.method).toBe('POST');
    expect(last.url).toBe('/api/v2/workspaceagents/me/app-health');
    expect(last.headers['coder-session-token']).toBe(TOKEN);
    expect(last.headers.cookie).toBeUndefined();
    expect(JSON.parse(last.body)).toEqual({ Healths: { '11111111-1111-4111-8111-111111111111': 'healthy' } });
  });

  it('accepts only 204 for lifecycle and records latency and errors per endpoint', async () => {
    const metrics = recordingSink();
    const client = new AgentApiClient({ transport, metrics, clock: systemClock() }, 5000, TOKEN);
    expect((await client.reportLifecycle('ready')).ok).toBe(true);
    const wrong = await client.reportLifecycle('starting');
    expect(wrong).toMatchObject({ ok: false, status: 200, errorClass: 'http_200' });
    expect(metrics.samples.filter((s) => s.kind === 'trend' && s.name === METRIC.request && s.tags?.endpoint === ENDPOINT.reportLifecycle)).toHaveLength(2);
    expect(metrics.total(METRIC.error, { endpoint: ENDPOINT.reportLifecycle, class: 'http_200' })).toBe(1);
  });

  it('parses bodies, classifies statuses and reads rate-limit headers', async () => {
    const metrics = recordingSink();
    const client = new AgentApiClient({ transport, metrics, clock: systemClock() }, 5000, TOKEN);
    const stats = await client.reportStats({ conns_by_proto: {}, num_comms: 0, rx_packets: 1, rx_bytes: 1, tx_packets: 1, tx_bytes: 1 });
    expect(stats.ok).toBe(true);
    expect(stats.body?.report_interval).toBe(600_000_000_000);
    expect(metrics.samples.some((s) => s.kind === 'gauge' && s.name === METRIC.rateLimitRemaining && s.value === 511)).toBe(true);
    const meta = await client.getMetadata();
    expect(meta).toMatchObject({ ok: false, status: 401, errorClass: 'http_401' });
    expect(meta.body).toEqual({ message: 'Workspace agent not authorized.' });
    const git = await client.getGitAuth('https://github.com/coder/coder.git');
    expect(git.body).toEqual({ username: 'u', password: '', url: '' });
  });

  it('sends identity exchanges without a token', async () => {
    const client = new AgentApiClient({ transport, metrics: recordingSink(), clock: systemClock() }, 5000, TOKEN);
    const result = await client.exchangeAws({ document: '{}', signature: 'c2ln' });
    expect(result.body?.session_token).toBe(TOKEN);
    const last = seen[seen.length - 1]!;
    expect(last.headers['coder-session-token']).toBeUndefined();
    expect(JSON.parse(last.body)).toEqual({ document: '{}', signature: 'c2ln' });
  });

  it('classifies a request timeout as `timeout` and measures from the intended start', async () => {
    const metrics = recordingSink();
    const clock = systemClock();
    const client = new AgentApiClient({ transport, metrics, clock }, 100, TOKEN);
    const intendedAt = clock.now() - 1000;
    const result = await client.getGitSshKey({ intendedAt });
    expect(result).toMatchObject({ ok: false, status: 0, errorClass: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(metrics.total(METRIC.error, { endpoint: ENDPOINT.gitsshkey, class: 'timeout' })).toBe(1);
  });

  it('does not record a request cancelled by shutdown', async () => {
    const metrics = recordingSink();
    const client = new AgentApiClient({ transport, metrics, clock: systemClock() }, 5000, TOKEN);
    const stop = new AbortController();
    const pending = client.getGitSshKey({ signal: stop.signal });
    stop.abort();
    expect((await pending).errorClass).toBe('aborted');
    expect(metrics.samples).toEqual([]);
  });

  it('builds the coordinate URL', () => {
    const client = new AgentApiClient({ transport, metrics: recordingSink(), clock: systemClock() }, 5000);
    expect(client.coordinateUrl()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v2\/workspaceagents\/me\/coordinate$/);
  });
});

describe('UserApiClient', () => {
  it('uses the user token and the {id} route templates', async () => {
    const metrics = recordingSink();
    const client = new UserApiClient({ transport, metrics, clock: systemClock() }, 'abcdefghij-abcdefghijklmnopqrstuv', 5000);
    const id = '33333333-3333-4333-8333-333333333333';
    const result = await client.getListeningPorts(id);
    expect(result.body).toEqual({ ports: [] });
    const last = seen[seen.length - 1]!;
    expect(last.url).toBe(`/api/v2/workspaceagents/${id}/listening-ports`);
    expect(last.headers['coder-session-token']).toBe('abcdefghij-abcdefghijklmnopqrstuv');
    expect(metrics.samples[0]).toMatchObject({ kind: 'trend', tags: { endpoint: ENDPOINT.listeningPorts } });
  });
});

describe('send cancellation', () => {
  it('a request cancelled while it waits for a pooled connection resolves aborted and is never sent', async () => {
    const one = createHttpTransport({ baseUrl: transport.baseUrl, connections: 1 });
    try {
      const metrics = recordingSink();
      const client = new AgentApiClient({ transport: one, metrics, clock: systemClock() }, 200, TOKEN);
      const before = seen.filter((s) => s.url.endsWith('/me/gitsshkey')).length;
      // The first request hangs on the only connection; the second waits in the pool's queue.
      const first = client.getGitSshKey();
      const stop = new AbortController();
      const second = client.getGitSshKey({ signal: stop.signal });
      stop.abort();
      expect((await second).errorClass).toBe('aborted');
      expect((await first).errorClass).toBe('timeout');
      expect(seen.filter((s) => s.url.endsWith('/me/gitsshkey')).length).toBe(before + 1);
      // An aborted request records nothing; the timed-out one records one error.
      expect(metrics.total(METRIC.error)).toBe(1);
    } finally {
      await one.close();
    }
  });
});

/** A transport whose dispatcher hands each request's handler to the test instead of a socket. */
function capturingTransport(handlers: Dispatcher.DispatchHandler[]): HttpTransport {
  const pool = { dispatch: (_options: unknown, handler: Dispatcher.DispatchHandler) => void handlers.push(handler) };
  return { baseUrl: 'http://127.0.0.1:1', dispatcher: pool as unknown as HttpTransport['dispatcher'], close: async () => {} };
}

/** Answers the request 200 `{}`, as undici's core calls a dispatch handler. */
function answer(handler: Dispatcher.DispatchHandler): void {
  const h = handler as unknown as {
    onConnect(abort: () => void): void;
    onHeaders(status: number, raw: Buffer[]): boolean;
    onData(chunk: Buffer): boolean;
    onComplete(): void;
  };
  h.onConnect(() => {});
  h.onHeaders(200, []);
  h.onData(Buffer.from('{}'));
  h.onComplete();
}

describe('request latency from the intended send time', () => {
  it('counts from the intended time when the send is late, but from the actual start when it is early', async () => {
    const clock = manualClock({ startMs: 1000 });
    const metrics = recordingSink();
    const handlers: Dispatcher.DispatchHandler[] = [];
    const ctx = { transport: capturingTransport(handlers), metrics, clock };
    const request = (intendedAt: number) =>
      send(ctx, { method: 'POST', path: '/me/report-stats', endpoint: ENDPOINT.reportStats, json: {}, timeoutMs: 1000, intendedAt });

    // Late by 3 ms (event-loop lag): the lag is part of the latency (coordinated omission).
    const late = request(997);
    // "Due" 0.6 ms from now: a timer that fired early must not shorten the round trip.
    const early = request(1000.6);
    clock.advance(5);
    answer(handlers[0]!);
    answer(handlers[1]!);
    expect((await late).durationMs).toBe(8);
    expect((await early).durationMs).toBe(5);
    expect(metrics.values(METRIC.request, { endpoint: ENDPOINT.reportStats })).toEqual([8, 5]);
  });
});
