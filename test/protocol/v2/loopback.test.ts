/** End to end over real sockets: ws server on 127.0.0.1:0, ws client, yamux + dRPC on top. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { V2_WS_CLIENT_OPTIONS, V2_WS_SERVER_OPTIONS, wsByteStream } from '../../../src/protocol/v2/ws-byte-stream.js';
import { connectRpcClient, serveRpc, type RpcConnection } from '../../../src/protocol/v2/rpc-connection.js';
import { DrpcRouter } from '../../../src/protocol/v2/drpc-router.js';
import { YamuxClosedError, WsClosedError } from '../../../src/protocol/v2/wire-errors.js';
import { createRng } from '../../../src/core/rng.js';

interface Server {
  url: string;
  conns: RpcConnection[];
  close(): Promise<void>;
}

async function startServer(router: DrpcRouter): Promise<Server> {
  const wss = new WebSocketServer({ noServer: true, ...V2_WS_SERVER_OPTIONS });
  const conns: RpcConnection[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => conns.push(serveRpc(wsByteStream(ws), router, { keepAliveIntervalMs: 0 })));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/api/v2/workspaceagents/me/rpc`,
    conns,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function dial(url: string) {
  const ws = new WebSocket(url, { ...V2_WS_CLIENT_OPTIONS });
  await once(ws, 'open');
  return { ws, conn: connectRpcClient(wsByteStream(ws), { keepAliveIntervalMs: 0 }) };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function echoRouter(): DrpcRouter {
  return new DrpcRouter()
    .unary('/coder.agent.v2.Agent/UpdateStats', (req) => req)
    .bidi('/coder.tailnet.v2.Tailnet/Coordinate', async (stream) => {
      for await (const m of stream) await stream.send(m);
    });
}

describe('v2 wire over a real WebSocket (loopback)', () => {
  it('runs unary and bidi calls with opaque payloads, concurrently, incl. >256 KiB and >64 KiB', async () => {
    const server = await startServer(echoRouter());
    cleanups.push(() => server.close());
    const { ws, conn } = await dial(server.url);
    cleanups.push(() => ws.terminate());
    const rng = createRng('loopback');

    const small = await conn.client.unary('/coder.agent.v2.Agent/UpdateStats', Uint8Array.of(0x0a, 0x02, 0x08, 0x1e));
    expect([...small]).toEqual([0x0a, 0x02, 0x08, 0x1e]);

    const payloads = Array.from({ length: 40 }, (_, i) => new Uint8Array(rng.bytes(i % 10 === 0 ? 300 * 1024 : i % 5 === 0 ? 70_000 : rng.int(0, 2000))));
    const results = await Promise.all(payloads.map((p) => conn.client.unary('/coder.agent.v2.Agent/UpdateStats', p)));
    results.forEach((r, i) => {
      expect(Buffer.compare(r, payloads[i] as Uint8Array)).toBe(0);
    });

    const calls = Array.from({ length: 5 }, () => conn.client.bidi('/coder.tailnet.v2.Tailnet/Coordinate'));
    const sent = calls.map(() => Array.from({ length: 20 }, (_, j) => new Uint8Array(rng.bytes(j === 7 ? 280 * 1024 : rng.int(1, 500)))));
    await Promise.all(
      calls.map(async (call, i) => {
        const got: Uint8Array[] = [];
        const reading = (async () => {
          for await (const m of call) got.push(m);
        })();
        for (const m of sent[i] as Uint8Array[]) await call.send(m);
        await call.closeSend();
        await reading;
        expect(got.length).toBe(20);
        got.forEach((m, j) => {
          expect(Buffer.compare(m, (sent[i] as Uint8Array[])[j] as Uint8Array)).toBe(0);
        });
      }),
    );
    const rtt = await conn.session.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);

    conn.close();
    expect(await conn.closed).toBeUndefined();
    await once(ws, 'close');
    expect(await server.conns[0]?.closed).toBeInstanceOf(YamuxClosedError); // the server read EOF
  });

  it('server closing the socket fails in-flight calls; a text message is refused like NetConn does', async () => {
    const router = new DrpcRouter().unary('/hang', () => new Promise<Uint8Array>(() => undefined));
    const server = await startServer(router);
    cleanups.push(() => server.close());
    const { ws, conn } = await dial(server.url);
    cleanups.push(() => ws.terminate());
    const pending = conn.client.unary('/hang', new Uint8Array(1));
    for (let i = 0; i < 500 && server.conns[0]?.session.streamCount !== 1; i++) await new Promise((r) => setImmediate(r));
    server.conns[0]?.close();
    await expect(pending).rejects.toBeInstanceOf(YamuxClosedError);

    const second = await dial(server.url);
    cleanups.push(() => second.ws.terminate());
    second.ws.send('text', { binary: false });
    const closedWith = await server.conns[1]?.closed;
    expect(closedWith).toBeInstanceOf(WsClosedError);
    expect((closedWith as WsClosedError).errorClass).toBe('ws_close_1003');
  });
});
