import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy that counts the connections a client opens to a target, split into
 * WebSocket upgrades and plain HTTP by the first request on each connection: what the target
 * sees of a fleet's connection model, independent of the client's own bookkeeping.
 */
export interface CountingProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Connections accepted whose first request was not an upgrade, and those closed again. */
  http: { opened: number; closed: number };
  /** Connections whose first request was a WebSocket upgrade. */
  ws: { opened: number; closed: number };
  /** Per plain-HTTP connection, the distinct `Coder-Session-Token` values its requests carried. */
  tokensByConnection(): string[][];
  close(): Promise<void>;
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const counts = { http: { opened: 0, closed: 0 }, ws: { opened: 0, closed: 0 } };
  /** What each plain-HTTP connection sent, kept up to a bound (tests send a few KB). */
  const sent: string[] = [];
  const SENT_LIMIT = 256 * 1024;
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(upstream);
    let kind: 'http' | 'ws' | undefined;
    let slot = -1;
    client.on('data', (chunk: Buffer) => {
      if (kind === undefined) {
        kind = /\r\nupgrade:\s*websocket/i.test(chunk.toString('latin1')) ? 'ws' : 'http';
        counts[kind].opened++;
        if (kind === 'http') slot = sent.push('') - 1;
      }
      if (slot >= 0 && sent[slot]!.length < SENT_LIMIT) sent[slot] += chunk.toString('latin1');
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => {
      sockets.delete(client);
      if (kind) counts[kind].closed++;
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...counts,
    tokensByConnection: () => sent.map((text) => [...new Set([...text.matchAll(/\r\ncoder-session-token: *([^\r]+)/gi)].map((m) => m[1]!))]),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
