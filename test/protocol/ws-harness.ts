/** Test helpers: a loopback HTTP server that hands upgraded sockets to a Coordinator. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { Coordinator, type AgentHooks } from '../../src/server/coordinator/coordinator.js';

export interface Harness {
  coordinator: Coordinator;
  url: string;
  hooks: Map<string, AgentHooks>;
  close(): Promise<void>;
}

export async function startHarness(opts: { pingIntervalMs?: number } = {}): Promise<Harness> {
  const coordinator = new Coordinator({ pingIntervalMs: opts.pingIntervalMs ?? 60_000 });
  const hooks = new Map<string, AgentHooks>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 32768 });
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const [, role, id] = (req.url ?? '').split('/');
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (role === 'agent') coordinator.attachAgent(id as string, ws, hooks.get(id as string));
      else coordinator.attachClient(id as string, ws);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    coordinator,
    hooks,
    url: `ws://127.0.0.1:${port}`,
    async close() {
      coordinator.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export interface Peer {
  ws: WebSocket;
  /** Next inbound message (text of a binary frame). */
  next(): Promise<string>;
  /** Messages received and not yet taken. */
  readonly queued: number;
  closed: Promise<{ code: number; reason: string }>;
  pings: number;
}

export async function connect(url: string): Promise<Peer> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const queue: string[] = [];
  const waiters: Array<(s: string) => void> = [];
  const peer: Peer = {
    ws,
    pings: 0,
    get queued() {
      return queue.length;
    },
    next() {
      const ready = queue.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise<string>((resolve) => waiters.push(resolve));
    },
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) throw new Error('server sent a text frame');
    const text = data.toString('utf8');
    const waiter = waiters.shift();
    if (waiter) waiter(text);
    else queue.push(text);
  });
  ws.on('ping', () => peer.pings++);
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return peer;
}

/** Polls a condition (bounded) instead of sleeping. */
export async function until(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
