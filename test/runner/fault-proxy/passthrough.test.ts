import { request as httpRequest, Agent } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFaultProxy, type FaultProxy } from '../../../src/runner/fault-proxy/fault-proxy.js';
import { eventually } from '../../helpers/eventually.js';
import { httpTarget, rawClient, roundTrip, tcpTarget } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxyTo(target: { host: string; port: number; close(): Promise<void> }): Promise<FaultProxy> {
  cleanups.push(() => target.close());
  const proxy = await createFaultProxy({ target });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('fault proxy: plain passthrough', () => {
  it('carries HTTP through undici and node:http, with byte counts and target-side peaks', async () => {
    const target = await httpTarget();
    const proxy = await proxyTo(target);
    const res = await request(proxy.url('http://coder.example.com/api/v2/x?y=1'), { method: 'POST', body: 'hello' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ method: 'POST', url: '/api/v2/x?y=1', body: 'hello' });

    const agent = new Agent({ keepAlive: false });
    cleanups.push(() => agent.destroy());
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(proxy.url('http://ignored/plain'), { agent }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ method: 'GET', url: '/plain', body: '' });

    const stats = proxy.stats();
    expect(stats.opened).toBeGreaterThanOrEqual(2);
    expect(stats.bytesUpstream).toBeGreaterThan(0);
    expect(stats.bytesDownstream).toBeGreaterThan(0);
    expect(stats.peakTargetOpen).toBeGreaterThanOrEqual(1);
    expect(stats.toxicConnections).toBe(0);
    expect(stats).toMatchObject({ reset: 0, refused: 0, targetFailed: 0, listening: true, activeActions: 0 });
  });

  it('carries WebSocket frames both ways and closes cleanly', async () => {
    const target = await httpTarget();
    const proxy = await proxyTo(target);
    const ws = new WebSocket(proxy.url('ws://coder.example.com/ws'), { perMessageDeflate: false });
    cleanups.push(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const big = Buffer.alloc(200_000, 7);
    const echoes: Buffer[] = [];
    const got = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        echoes.push(data);
        if (echoes.length === 3) resolve();
      }),
    );
    ws.send('one');
    ws.send(big);
    ws.send('three');
    await got;
    expect(echoes.map((e) => e.length)).toEqual([3, 200_000, 5]);
    expect(echoes[1]!.equals(big)).toBe(true);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(1000);
    expect(await closed).toBe(1000);
    await eventually(() => proxy.stats().open === 0, 'the proxied pair to close');
    const stats = proxy.stats();
    expect(stats.closed).toBe(stats.opened);
    expect(stats.targetOpen).toBe(0);
    expect(stats.bytesDownstream).toBeGreaterThan(200_000);
  });

  it('carries a half-close: the client FIN reaches the target while the answer still flows back', async () => {
    const target = await tcpTarget((s) => {
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.on('end', () => s.end(`got ${text}`));
    });
    const proxy = await proxyTo(target);
    const { socket, closed } = await rawClient(proxy.port);
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.end('request');
    await closed;
    expect(answer).toBe('got request');
  });

  it('resets the client when the target is unreachable, counting it', async () => {
    const target = await tcpTarget();
    await target.close(); // nothing listens on that port now
    const proxy = await proxyTo({ ...target, close: async () => {} });
    const { error } = await rawClient(proxy.port);
    expect((await error).code).toBe('ECONNRESET');
    await eventually(() => proxy.stats().closed === 1, 'the pair to close');
    expect(proxy.stats()).toMatchObject({ opened: 1, targetFailed: 1, targetOpen: 0, peakTargetOpen: 0 });
  });

  it('tracks open and peak connections on both sides', async () => {
    const target = await tcpTarget();
    const proxy = await proxyTo(target);
    const clients = await Promise.all([1, 2, 3].map(() => rawClient(proxy.port)));
    cleanups.push(() => {
      for (const c of clients) c.socket.destroy();
    });
    await eventually(() => proxy.stats().targetOpen === 3, 'three target connections');
    for (const c of clients) expect(await roundTrip(c.socket, 'ping')).toBeGreaterThanOrEqual(0);
    clients[0]!.socket.end();
    await clients[0]!.closed;
    await eventually(() => proxy.stats().targetOpen === 2, 'one to close');
    expect(proxy.stats()).toMatchObject({ open: 2, peakOpen: 3, targetOpen: 2, peakTargetOpen: 3, closed: 1, bytesUpstream: 12, bytesDownstream: 12 });
  });

  it('rewrites URLs to the proxy address, keeping path and query', async () => {
    const target = await tcpTarget();
    const proxy = await proxyTo(target);
    expect(proxy.url()).toBe(`http://127.0.0.1:${proxy.port}`);
    expect(proxy.url('https://coder.example.com')).toBe(`https://127.0.0.1:${proxy.port}`);
    expect(proxy.url('wss://coder.example.com:8443/api/v2/x?y=1')).toBe(`wss://127.0.0.1:${proxy.port}/api/v2/x?y=1`);
  });
});
