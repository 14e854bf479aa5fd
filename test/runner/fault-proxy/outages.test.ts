import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRng } from '../../../src/core/rng.js';
import { networkErrorClass, wsDialErrorClass } from '../../../src/metrics/error-class.js';
import { parseProxyAction, type ProxyActionInput } from '../../../src/runner/fault-proxy/actions.js';
import { createFaultProxy, type FaultProxy } from '../../../src/runner/fault-proxy/fault-proxy.js';
import { eventually } from '../../helpers/eventually.js';
import { httpTarget, rawClient, roundTrip, tcpTarget } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const act = (input: ProxyActionInput) => parseProxyAction(input);

async function proxyTo(target: { host: string; port: number; close(): Promise<void> }, seed = 'outages'): Promise<FaultProxy> {
  const proxy = await createFaultProxy({ target, rng: createRng(seed) });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** An undici dispatcher of its own, closed after the test. */
function dispatcher(): Agent {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  cleanups.push(() => agent.destroy());
  return agent;
}

/** The error class a request ends with (or 'ok'). */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return networkErrorClass(error);
  }
}

describe('fault proxy: reset', () => {
  it('a request in flight fails as a reset (ECONNRESET); an open WebSocket closes abnormally (1006)', async () => {
    const target = await httpTarget();
    cleanups.push(() => target.close());
    const proxy = await proxyTo(target);
    const agent = dispatcher();
    const inFlight = outcome(() => request(proxy.url('http://x/hold'), { dispatcher: agent }));
    const ws = new WebSocket(proxy.url('ws://x/ws'));
    cleanups.push(() => ws.terminate());
    // ws reports a socket error after the handshake as an abnormal close, not an 'error' event.
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    await eventually(() => target.requests === 1 && proxy.stats().open === 2, 'the held request and the socket');
    const handle = proxy.apply(act({ at: 0, action: 'reset', fraction: 1 }));
    expect(handle.affected).toBe(2);
    expect(await inFlight).toBe('reset');
    expect(await wsClosed).toBe(1006);
    // A dial during a reset window fails as 'reset' for the agents' dial classifier too.
    const windowed = proxy.apply(act({ at: 0, action: 'reset', fraction: 1, duration: '1m' }));
    const dial = new WebSocket(proxy.url('ws://x/ws'));
    cleanups.push(() => dial.terminate());
    expect(wsDialErrorClass(await new Promise((resolve) => dial.once('error', resolve)))).toBe('reset');
    windowed.end();
    expect(proxy.stats()).toMatchObject({ reset: 3, activeActions: 0 });
    // A one-shot reset leaves new connections alone.
    const res = await request(proxy.url('http://x/after'), { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('resets exactly the seeded share of open connections, the same ones for the same seed', async () => {
    const pickedWith = async (seed: string): Promise<number[]> => {
      const target = await tcpTarget();
      cleanups.push(() => target.close());
      const proxy = await proxyTo(target, seed);
      const clients = [];
      for (let i = 0; i < 10; i++) {
        const c = await rawClient(proxy.port);
        cleanups.push(() => void c.socket.destroy());
        clients.push(c);
        await eventually(() => proxy.stats().open === i + 1, 'accept order = client order');
      }
      const handle = proxy.apply(act({ at: 0, action: 'reset', fraction: 0.5 }));
      expect(handle.affected).toBe(5);
      const reset: number[] = [];
      clients.forEach((c, i) => void c.error.then((e) => e.code === 'ECONNRESET' && reset.push(i)));
      await eventually(() => reset.length === 5, 'five resets');
      // The other five still carry data.
      for (const [i, c] of clients.entries()) if (!reset.includes(i)) expect(await roundTrip(c.socket, 'x')).toBeGreaterThanOrEqual(0);
      expect(proxy.stats()).toMatchObject({ reset: 5, open: 5 });
      return reset.sort((a, b) => a - b);
    };
    const first = await pickedWith('seed-a');
    expect(await pickedWith('seed-a')).toEqual(first);
  });

  it('with a duration, new connections are reset too until it ends', async () => {
    const target = await tcpTarget();
    cleanups.push(() => target.close());
    const proxy = await proxyTo(target);
    const handle = proxy.apply(act({ at: 0, action: 'reset', fraction: 1, duration: '1m' }));
    // On loopback the RST can beat the connect callback: either way the dial ends in ECONNRESET.
    const during = await new Promise<NodeJS.ErrnoException>((resolve) => connect({ host: '127.0.0.1', port: proxy.port }).once('error', resolve));
    expect(during.code).toBe('ECONNRESET');
    handle.end();
    const after = await rawClient(proxy.port);
    cleanups.push(() => void after.socket.destroy());
    expect(await roundTrip(after.socket, 'ok')).toBeGreaterThanOrEqual(0);
    expect(proxy.stats()).toMatchObject({ reset: 1, opened: 2 });
  });
});

describe('fault proxy: blackhole', () => {
  it('keeps the connection but forwards nothing: the client times out; held data flows after', async () => {
    const target = await httpTarget();
    cleanups.push(() => target.close());
    const proxy = await proxyTo(target);
    const handle = proxy.apply(act({ at: 0, action: 'blackhole', duration: '1m' }));
    const agent = dispatcher();
    const result = await outcome(() => request(proxy.url('http://x/during'), { dispatcher: agent, headersTimeout: 150 }));
    expect(result).toBe('timeout');
    expect(target.requests).toBe(0);
    expect(proxy.stats().open).toBe(1); // accepted and kept, not refused

    const raw = await rawClient(proxy.port);
    cleanups.push(() => void raw.socket.destroy());
    const echoed = new Promise<string>((resolve) => raw.socket.once('data', (c: Buffer) => resolve(c.toString())));
    raw.socket.write('GET /held HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    handle.end();
    await handle.finished;
    expect(await echoed).toMatch(/^HTTP\/1.1 200/);
    // Held, not dropped: like a healed partition, the timed-out client's bytes (request + FIN)
    // reach the target too once the hole closes.
    expect(target.requests).toBe(2);
  });
});

describe('fault proxy: refuse', () => {
  it('resets open connections, refuses new ones (ECONNREFUSED), then accepts again on the same port', async () => {
    const target = await httpTarget();
    cleanups.push(() => target.close());
    const proxy = await proxyTo(target);
    const open = await rawClient(proxy.port);
    await eventually(() => proxy.stats().open === 1, 'accept');
    const handle = proxy.apply(act({ at: 0, action: 'refuse', duration: '300ms' }));
    expect(handle.affected).toBe(1);
    expect((await open.error).code).toBe('ECONNRESET');
    expect(proxy.stats().listening).toBe(false);

    const refused = await new Promise<NodeJS.ErrnoException>((resolve) => connect({ host: '127.0.0.1', port: proxy.port }).once('error', resolve));
    expect(refused.code).toBe('ECONNREFUSED');
    expect(networkErrorClass(refused)).toBe('refused');
    const agent = dispatcher();
    expect(await outcome(() => request(proxy.url('http://x/down'), { dispatcher: agent }))).toBe('refused');

    await handle.finished; // ends by itself after 300ms
    expect(proxy.stats()).toMatchObject({ listening: true, refused: 1, activeActions: 0 });
    const res = await request(proxy.url('http://x/back'), { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ url: '/back' });
  });
});
