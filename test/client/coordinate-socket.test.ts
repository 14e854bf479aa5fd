import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { FixedDelayQueue, QueueEntry } from '../../src/client/fixed-delay-queue.js';
import { Backoff, backoffDelays, openCoordinateSocket, type CoordinateSocket } from '../../src/client/coordinate-socket.js';
import { createRng } from '../../src/core/rng.js';
import { createAgentNode, createClientNode } from '../../src/protocol/node-factory.js';
import { encodeNode } from '../../src/protocol/node-codec.js';
import type { TailnetNode } from '../../src/protocol/tailnet-node.js';
import { startHarness, type Harness } from '../protocol/ws-harness.js';
import { eventually } from '../helpers/eventually.js';

const rng = createRng('coordinate-socket');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  batches: TailnetNode[][];
  closed?: { code: number; reason: string };
}

async function dial(url: string, extra: Partial<Parameters<typeof openCoordinateSocket>[0]> = {}): Promise<{ socket: CoordinateSocket; got: Received }> {
  const got: Received = { batches: [] };
  const socket = await openCoordinateSocket({
    url,
    token: 'secret-token-value',
    tokenIn: 'cookie',
    onNodes: (nodes) => got.batches.push(nodes),
    onClose: (code, reason) => (got.closed = { code, reason }),
    ...extra,
  });
  cleanups.push(() => socket.close());
  return { socket, got };
}

/** A bare server that records the handshake headers and lets the test drive the server socket. */
async function rawServer(
  opts: { autoPong?: boolean; status?: number } = {},
): Promise<{ url: string; sockets: WebSocket[]; headers: http.IncomingHttpHeaders[] }> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: opts.autoPong ?? true });
  const sockets: WebSocket[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    headers.push(req.headers);
    if (opts.status) {
      const body = '{"message":"Unauthorized"}\n';
      socket.end(
        `HTTP/1.1 ${opts.status} Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      sockets.push(ws);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/x`, sockets, headers };
}

describe('openCoordinateSocket', () => {
  let h: Harness;

  it('exchanges nodes with the coordinator, ids intact', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    const agent = await dial(`${h.url}/agent/a1`);
    const client = await dial(`${h.url}/client/a1`, { tokenIn: 'header' });
    const agentNode = { ...createAgentNode(rng), id: 6196346937711212345n };
    agent.socket.sendNode(agentNode);
    await eventually(() => client.got.batches.length === 1, 'agent node at client');
    expect(client.got.batches[0]?.[0]?.id).toBe(6196346937711212345n);
    expect(encodeNode(client.got.batches[0]?.[0] as TailnetNode)).toBe(encodeNode(agentNode));
    const clientNode = createClientNode(rng);
    client.socket.sendNode(clientNode);
    await eventually(() => agent.got.batches.length === 1, 'client node at agent');
    expect(agent.got.batches[0]?.map(encodeNode)).toEqual([encodeNode(clientNode)]);
    expect(agent.socket.open).toBe(true);
    agent.socket.close();
    await eventually(() => agent.got.closed !== undefined, 'close');
    expect(agent.got.closed?.code).toBe(1000);
    expect(agent.socket.open).toBe(false);
  });

  it('sends the token as a cookie or a header', async () => {
    const srv = await rawServer();
    await dial(srv.url);
    await dial(srv.url, { tokenIn: 'header' });
    expect(srv.headers[0]?.cookie).toBe('coder_session_token=secret-token-value');
    expect(srv.headers[1]?.['coder-session-token']).toBe('secret-token-value');
    expect(srv.headers[0]?.['sec-websocket-extensions']).toBeUndefined();
  });

  it('reads arrays split across and packed into frames', async () => {
    const srv = await rawServer();
    const { got } = await dial(srv.url);
    await eventually(() => srv.sockets.length === 1, 'server socket');
    const a = encodeNode(createAgentNode(rng));
    const text = Buffer.from(`[${a}][${a},${a}]`);
    const ws = srv.sockets[0] as WebSocket;
    ws.send(text.subarray(0, 10));
    ws.send(text.subarray(10));
    await eventually(() => got.batches.length === 2, 'two batches');
    expect(got.batches.map((b) => b.length)).toEqual([1, 2]);
  });

  it('closes 1001 "Ping failed" when no pong arrives in time', async () => {
    const srv = await rawServer({ autoPong: false });
    const { got } = await dial(srv.url, { pingIntervalMs: 20, pingTimeoutMs: 30, closeGraceMs: 200 });
    await eventually(() => got.closed !== undefined, 'ping failure');
    expect(got.closed).toEqual({ code: 1001, reason: 'Ping failed' });
  });

  it('keeps the socket while pongs come back', async () => {
    const srv = await rawServer();
    const { socket } = await dial(srv.url, { pingIntervalMs: 10, pingTimeoutMs: 200 });
    let pings = 0;
    await eventually(() => srv.sockets.length === 1, 'server socket');
    srv.sockets[0]?.on('ping', () => pings++);
    await eventually(() => pings >= 3, 'three pings');
    expect(socket.open).toBe(true);
  });

  it('pings every socket from the shared queue; a socket whose pong stops alone fails', async () => {
    const srv = await rawServer();
    const a = await dial(srv.url, { pingIntervalMs: 15, pingTimeoutMs: 60, closeGraceMs: 200 });
    const b = await dial(srv.url, { pingIntervalMs: 15, pingTimeoutMs: 60, closeGraceMs: 200 });
    await eventually(() => srv.sockets.length === 2, 'server sockets');
    const pings = [0, 0];
    srv.sockets[0]?.on('ping', () => pings[0]!++);
    // The second server socket stops answering pings (autoPong only answers while not paused).
    srv.sockets[1]?.pause();
    await eventually(() => b.got.closed !== undefined, 'ping failure on b');
    expect(b.got.closed).toEqual({ code: 1001, reason: 'Ping failed' });
    await eventually(() => pings[0]! >= 3, 'pings on a');
    expect(a.socket.open).toBe(true);
    expect(a.got.closed).toBeUndefined();
  });

  it('sends pre-encoded node text as one node', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    const agent = await dial(`${h.url}/agent/a2`);
    const client = await dial(`${h.url}/client/a2`, { tokenIn: 'header' });
    const node = createAgentNode(rng);
    agent.socket.sendRaw?.(encodeNode(node));
    await eventually(() => client.got.batches.length === 1, 'agent node at client');
    expect(client.got.batches[0]?.map(encodeNode)).toEqual([encodeNode(node)]);
  });

  it('rejects with the HTTP status or the network error', async () => {
    const srv = await rawServer({ status: 401 });
    await expect(
      openCoordinateSocket({ url: srv.url, token: 't', tokenIn: 'cookie', onNodes: () => undefined, onClose: () => undefined }),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await expect(
      openCoordinateSocket({ url: `ws://127.0.0.1:${port}/x`, token: 't', tokenIn: 'cookie', onNodes: () => undefined, onClose: () => undefined }),
    ).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('FixedDelayQueue', () => {
  it('runs entries in order after the fixed delay, re-adds and removals included, and clears its timer when empty', () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const fired: string[] = [];
      const q = new FixedDelayQueue<string>(
        1000,
        (s) => fired.push(s),
        () => now,
      );
      const [a, b, c] = ['a', 'b', 'c'].map((s) => new QueueEntry(s)) as [QueueEntry<string>, QueueEntry<string>, QueueEntry<string>];
      q.add(a);
      now = 300;
      vi.advanceTimersByTime(300);
      q.add(b);
      q.add(c);
      q.remove(b);
      now = 1000;
      vi.advanceTimersByTime(700);
      expect(fired).toEqual(['a']);
      q.add(a);
      now = 1300;
      vi.advanceTimersByTime(300);
      expect(fired).toEqual(['a', 'c']);
      q.remove(a);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Backoff', () => {
  it('doubles up to the cap and resets', () => {
    const b = new Backoff(100, 1000);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    const gen = backoffDelays(50, 10_000);
    const first = Array.from({ length: 10 }, () => gen.next().value);
    expect(first).toEqual([50, 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  });
});
