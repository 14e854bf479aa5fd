import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import { createResponseTracker } from '../../../src/workloads/rest/response-tracker.js';
import type { RestEndpoint } from '../../../src/workloads/rest/section.js';
import { recordingSink } from '../../helpers/sink.js';

/** A stand-in for autocannon's Client: an EventEmitter with the properties the tracker reads. */
class FakeClient extends EventEmitter {
  conn: object = {};
  rate?: number;
  requestIterator = { requests: [{}, {}, {}] as { requestBuffer?: Buffer }[], currentRequestIndex: 0 };
  /** What autocannon would write next: `request`, then (after the first) move to the next slot. */
  sendOne(first: boolean): string {
    this.emit('request');
    const it = this.requestIterator;
    if (!first) it.currentRequestIndex = (it.currentRequestIndex + 1) % it.requests.length;
    return it.requests[it.currentRequestIndex]!.requestBuffer!.toString();
  }
}

function setup(options: { pipelining?: number; rate?: number } = {}) {
  let time = 0;
  const sink = recordingSink();
  const { samples: calls } = sink;
  let queue: RestEndpoint[] = [];
  const plan = {
    nextWire: () => {
      const endpoint = queue.shift()!;
      return { endpoint, bytes: Buffer.from(`bytes of ${endpoint}`) };
    },
  };
  const tracker = createResponseTracker({ metrics: sink, plan, now: () => time, openModelPipelining: options.pipelining });
  const client = new FakeClient();
  client.rate = options.rate;
  tracker.attach(client);
  let sent = 0;
  const written: string[] = [];
  const send = (endpoint: RestEndpoint, _first = false) => {
    queue = [endpoint];
    written.push(client.sendOne(sent++ === 0));
  };
  return { calls, client, send, written, advance: (ms: number) => (time += ms) };
}

describe('response tracker', () => {
  it('writes each planned request into the slot autocannon sends next', () => {
    const { send, written } = setup();
    const endpoints: RestEndpoint[] = ['GET /{id}', 'GET /me/metadata', 'POST /me/version', 'GET /me/gitsshkey', 'GET /{id}'];
    for (const e of endpoints) send(e);
    expect(written).toEqual(endpoints.map((e) => `bytes of ${e}`));
  });

  it('matches pipelined answers in order and times them with sub-ms precision', () => {
    const { calls, client, send, advance } = setup();
    send('GET /{id}', true);
    advance(0.25);
    send('GET /me/metadata');
    advance(0.5);
    client.emit('headers', { statusCode: 200, headers: ['X-RateLimit-Limit', '512', 'x-ratelimit-remaining', '510'] });
    client.emit('response', 200, 100, 0);
    advance(1);
    client.emit('headers', { statusCode: 500, headers: [] });
    client.emit('response', 500, 100, 1);
    expect(calls).toEqual([
      { kind: 'trend', name: METRIC.request, value: 0.75, tags: { endpoint: 'GET /{id}' } },
      { kind: 'gauge', name: METRIC.rateLimitLimit, value: 512, tags: { endpoint: 'GET /{id}' } },
      { kind: 'gauge', name: METRIC.rateLimitRemaining, value: 510, tags: { endpoint: 'GET /{id}' } },
      { kind: 'trend', name: METRIC.request, value: 1.5, tags: { endpoint: 'GET /me/metadata' } },
      { kind: 'count', name: METRIC.error, value: 1, tags: { endpoint: 'GET /me/metadata', class: 'http_500' } },
    ]);
  });

  it('counts requests lost with a socket as failures of their own endpoints', () => {
    const { calls, client, send } = setup();
    send('GET /{id}', true);
    send('POST /me/version');
    client.emit('connError', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    // autocannon reconnects and sends again; then that socket times out.
    client.conn = {};
    send('GET /me/gitsshkey');
    client.conn = {};
    client.emit('timeout');
    client.emit('timeout');
    // A socket the server ended: answers only come on the new one.
    send('POST /me/report-stats');
    client.conn = {};
    send('GET /me/metadata');
    client.emit('response', 200, 10, 1);
    expect(calls.filter((c) => c.name === METRIC.error).map((c) => `${c.tags.endpoint}|${c.tags.class}`)).toEqual([
      'GET /{id}|reset',
      'POST /me/version|reset',
      'GET /me/gitsshkey|timeout',
      'POST /me/report-stats|reset',
    ]);
    // Every failed attempt is also a sample, so errors never outnumber requests.
    expect(calls.filter((c) => c.kind === 'trend').map((c) => c.tags.endpoint)).toEqual([
      'GET /{id}',
      'POST /me/version',
      'GET /me/gitsshkey',
      'POST /me/report-stats',
      'GET /me/metadata',
    ]);
  });

  it('open model: a slow answer also records the requests its slot should have sent meanwhile', () => {
    // 10 req/s on this connection, pipelining 1: one send every 100 ms.
    const { calls, client, send, advance } = setup({ pipelining: 1, rate: 10 });
    send('GET /{id}', true);
    advance(350);
    client.emit('response', 200, 10, 350);
    send('GET /{id}');
    advance(40);
    client.emit('response', 200, 10, 40);
    expect(calls.map((c) => c.value)).toEqual([350, 250, 150, 40]);
  });
});
