import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type ServerOptions } from 'ws';
import { createReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/reference-server.js';

/**
 * The embedded reference server on 127.0.0.1, any free port. Rate limit and identity material
 * are off unless asked (they cost time and are tested on their own). Close it in afterEach/
 * afterAll or a finally: `await server.close()`.
 */
export function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  return createReferenceServer({ agents: 3, rateLimit: -1, identity: false, ...options, host: '127.0.0.1', port: 0 });
}

/** A loopback server a test opened; `close()` ends open connections too. */
export interface LoopbackHttp {
  server: Server;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1, any free port (a stand-in target or a refusing endpoint). */
export async function startHttpServer(handler?: RequestListener): Promise<LoopbackHttp> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback WebSocket server: every upgrade is accepted and handed to `onConnection`. */
export interface LoopbackWs extends LoopbackHttp {
  wss: WebSocketServer;
  /** `ws://127.0.0.1:<port>`. */
  wsUrl: string;
}

/**
 * A `ws` server on 127.0.0.1, any free port, no compression. `close()` terminates the sockets
 * still open, then closes the listener.
 */
export async function startWsServer(
  onConnection: (ws: WebSocket, req: import('node:http').IncomingMessage) => void,
  options: Omit<ServerOptions, 'noServer' | 'server' | 'port' | 'host'> = {},
): Promise<LoopbackWs> {
  const wss = new WebSocketServer({ perMessageDeflate: false, ...options, noServer: true });
  const http = await startHttpServer((_req, res) => res.writeHead(404).end());
  http.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req)));
  return {
    ...http,
    wss,
    wsUrl: http.url.replace(/^http/, 'ws'),
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await http.close();
    },
  };
}
