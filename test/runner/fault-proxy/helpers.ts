/** Loopback targets and small tools for the fault-proxy tests. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';

export interface Target {
  host: string;
  port: number;
  /** Every socket the target accepted, in accept order. */
  sockets: Socket[];
  close(): Promise<void>;
}

/** A raw TCP target; `onSocket` decides what it does (echo by default). */
export async function tcpTarget(onSocket: (socket: Socket) => void = (s) => s.pipe(s)): Promise<Target> {
  const sockets: Socket[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * An HTTP target with a WebSocket echo on the same port. `GET /hold` answers only when
 * `release()` is called (a request the client waits on); anything else echoes method, URL and
 * body as JSON.
 */
export async function httpTarget(): Promise<Target & { requests: number; release(): void }> {
  const sockets: Socket[] = [];
  const held: (() => void)[] = [];
  const state = { requests: 0 };
  const server: HttpServer = createHttpServer((req, res) => {
    state.requests++;
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, body }));
      if (req.url === '/hold') held.push(answer);
      else answer();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    sockets,
    get requests() {
      return state.requests;
    },
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A connected raw client with an error captured instead of thrown. */
export async function rawClient(port: number): Promise<{ socket: Socket; error: Promise<NodeJS.ErrnoException>; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.on('error', resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, error, closed };
}

/** Writes `text` and resolves with the time until `expect` bytes came back. */
export function roundTrip(socket: Socket, text: string, expect = text.length): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const start = performance.now();
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got < expect) return;
      socket.off('data', onData);
      resolve(performance.now() - start);
    };
    socket.on('data', onData);
    socket.write(text);
  });
}
