/** Test helpers: a loopback HTTP server that hands upgraded sockets to a Coordinator. */
import { WebSocket } from 'ws';
import type { Clock } from '../../src/core/clock.js';
import { Coordinator, type AgentHooks } from '../../src/server/coordinator/coordinator.js';
import { startWsServer } from '../helpers/loopback.js';

export interface Harness {
  coordinator: Coordinator;
  url: string;
  hooks: Map<string, AgentHooks>;
  close(): Promise<void>;
}

/**
 * A Coordinator behind a loopback ws server: `/agent/<id>` attaches an agent socket,
 * `/client/<id>` a client socket. `clock` drives its keepalive pings.
 */
export async function startHarness(opts: { pingIntervalMs?: number; clock?: Clock } = {}): Promise<Harness> {
  const coordinator = new Coordinator({ pingIntervalMs: opts.pingIntervalMs ?? 60_000, clock: opts.clock });
  const hooks = new Map<string, AgentHooks>();
  const server = await startWsServer(
    (ws, req) => {
      const [, role, id] = (req.url ?? '').split('/');
      if (role === 'agent') coordinator.attachAgent(id as string, ws, hooks.get(id as string));
      else coordinator.attachClient(id as string, ws);
    },
    { maxPayload: 32768 },
  );
  return {
    coordinator,
    hooks,
    url: server.wsUrl,
    async close() {
      coordinator.close();
      await server.close();
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
