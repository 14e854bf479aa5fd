/**
 * bench:v2-wire — unary dRPC calls per second over the v2 wire stack on loopback
 * (ws → yamux → dRPC, both ends in this process).
 *
 *   npx tsx bench/v2-wire.ts [--sessions 50] [--concurrency 4] [--duration 5] [--size 64]
 *
 * `sessions` WebSocket connections, each with `concurrency` call loops issuing
 * `/coder.agent.v2.Agent/UpdateStats` with a `size`-byte opaque request; the server echoes
 * `UpdateStatsResponse{30s}`. Client and server share one event loop, so the figure is the cost
 * of both ends together. The last stdout line is JSON:
 *   {"bench":"v2-wire","calls":…,"calls_per_s":…,"cpu_us_per_call":…}
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { V2_WS_CLIENT_OPTIONS, V2_WS_SERVER_OPTIONS, wsByteStream } from '../src/protocol/v2/ws-byte-stream.js';
import { connectRpcClient, serveRpc } from '../src/protocol/v2/rpc-connection.js';
import { DrpcRouter } from '../src/protocol/v2/drpc-router.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    duration: { type: 'string', default: '5' },
    size: { type: 'string', default: '64' },
  },
});
const sessions = Number(values.sessions);
const concurrency = Number(values.concurrency);
const durationMs = Number(values.duration) * 1000;
const request = new Uint8Array(Number(values.size)).fill(7);
const METHOD = '/coder.agent.v2.Agent/UpdateStats';
const RESPONSE = Uint8Array.of(0x0a, 0x02, 0x08, 0x1e);

const router = new DrpcRouter().unary(METHOD, () => RESPONSE);
const wss = new WebSocketServer({ noServer: true, ...V2_WS_SERVER_OPTIONS });
const server = http.createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => serveRpc(wsByteStream(ws), router)));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

const conns = await Promise.all(
  Array.from({ length: sessions }, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v2/workspaceagents/me/rpc`, { ...V2_WS_CLIENT_OPTIONS });
    await once(ws, 'open');
    return connectRpcClient(wsByteStream(ws));
  }),
);

let calls = 0;
let failures = 0;
const deadline = performance.now() + durationMs;
const cpuStart = process.cpuUsage();
const started = performance.now();
await Promise.all(
  conns.flatMap((conn) =>
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          await conn.client.unary(METHOD, request);
          calls++;
        } catch {
          failures++;
        }
      }
    }),
  ),
);
const elapsedS = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
for (const conn of conns) conn.close();
for (const ws of wss.clients) ws.terminate();
wss.close();
server.closeAllConnections();
server.close();
const result = {
  bench: 'v2-wire',
  sessions,
  concurrency,
  calls,
  failures,
  calls_per_s: Math.round(calls / elapsedS),
  cpu_us_per_call: Math.round((cpu.user + cpu.system) / Math.max(1, calls)),
};
console.log(
  `${calls} unary calls in ${elapsedS.toFixed(1)} s over ${sessions} sessions x ${concurrency}: ${result.calls_per_s} calls/s, ${result.cpu_us_per_call} µs CPU per call (both ends)`,
);
console.log(JSON.stringify(result));
