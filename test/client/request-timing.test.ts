import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, send, type HttpTransport } from '../../src/client/http.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { manualClock } from '../helpers/clock.js';
import { recordingSink } from '../helpers/sink.js';

/**
 * Where a request's time goes, on a manual clock that moves only when the server has a request
 * in hand: every figure below is exact, and no assertion depends on wall time.
 */
const open: { server: Server; transport: HttpTransport }[] = [];

afterEach(async () => {
  for (const { server, transport } of open.splice(0)) {
    await transport.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A server that, for each request it receives, lets `onRequest` decide when to answer: the test
 * moves the clock, then calls `answer`.
 */
async function setup(connections: number, onRequest: (answer: () => void, index: number) => void) {
  let index = 0;
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', () =>
      onRequest(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }, index++),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const transport = createHttpTransport({ baseUrl: `http://127.0.0.1:${port}`, connections });
  open.push({ server, transport });
  const clock = manualClock();
  const metrics = recordingSink();
  const ctx = { transport, metrics, clock };
  const request = (intendedAt = 0) => send(ctx, { method: 'GET', path: '/me/metadata', endpoint: ENDPOINT.metadata, timeoutMs: 5_000, intendedAt });
  return { clock, metrics, request };
}

const tags = { endpoint: ENDPOINT.metadata };

describe('queued and service', () => {
  it('with a pool of one connection, queued grows with each request waiting its turn and service does not', async () => {
    // The server takes 10 ms (of the manual clock) over each request; the pool sends one at a time.
    const { clock, metrics, request } = await setup(1, (answer) => {
      clock.advance(10);
      answer();
    });
    const results = await Promise.all([request(), request(), request(), request()]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(metrics.values(METRIC.requestService, tags)).toEqual([10, 10, 10, 10]);
    expect(metrics.values(METRIC.requestQueued, tags)).toEqual([0, 10, 20, 30]);
    // The headline is their sum, from the intended start.
    expect(metrics.values(METRIC.request, tags)).toEqual([10, 20, 30, 40]);
  });

  it('with a server that delays its answer, service grows and queued does not', async () => {
    // Each request goes out on an idle connection, due when it is sent; the server takes 5, 50,
    // then 500 ms (of the manual clock) to answer.
    const delays = [5, 50, 500];
    const { clock, metrics, request } = await setup(1, (answer, index) => {
      clock.advance(delays[index]!);
      answer();
    });
    for (let i = 0; i < delays.length; i++) {
      const sent = clock.now();
      await request(sent);
    }
    expect(metrics.values(METRIC.requestQueued, tags)).toEqual([0, 0, 0]);
    expect(metrics.values(METRIC.requestService, tags)).toEqual([5, 50, 500]);
    expect(metrics.values(METRIC.request, tags)).toEqual([5, 50, 500]);
  });

  it('counts from the intended start: a late start is queued time', async () => {
    const { clock, metrics, request } = await setup(1, (answer) => answer());
    clock.advance(40); // the request was due at 0 and goes out at 40
    await request();
    expect(metrics.values(METRIC.requestQueued, tags)).toEqual([40]);
    expect(metrics.values(METRIC.requestService, tags)).toEqual([0]);
  });
});
