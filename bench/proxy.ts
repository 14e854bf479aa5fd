/**
 * bench:proxy — what the idle fault proxy costs: REST requests/s and WebSocket echo messages/s
 * direct and through the proxy (no action active, so every connection runs on the pipe fast
 * path), measured in the same run.
 *
 *   npm run bench:proxy -- [--duration 8] [--connections 50] [--ws-clients 20] [--ws-window 16] [--ws-size 256] [--inline]
 *
 * The reference server (rate limit off) and a bare ws echo server each run in their own child
 * process; the proxies (one in front of each) run in a third child, or with `--inline` in this
 * process beside the load generator (as they would if the run hosted them on its own loop).
 * REST: autocannon `GET /api/v2/workspaceagents/{id}` with the user token. WebSocket: clients
 * each keeping `--ws-window` messages of `--ws-size` bytes in flight against the echo. Each leg
 * runs A-B-B-A (direct, proxied, proxied, direct), `duration / 4` seconds a turn, after a short
 * warm-up, on 127.0.0.1 only. The last stdout line is:
 *   {"bench":"proxy","rest_direct_rps":…,"rest_proxied_rps":…,"rest_ratio":…,"ws_direct_msgs_per_s":…,"ws_proxied_msgs_per_s":…,"ws_ratio":…,…}
 * plus the proxy process's CPU µs per proxied request and per echoed message (child placement).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { createFaultProxy, type FaultProxy } from '../src/runner/fault-proxy/fault-proxy.js';
import { measureOverhead } from '../src/runner/fault-proxy/overhead.js';

type Target = { host: string; port: number };

if (process.argv[2] === '--echo-child') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  wss.on('listening', () => process.send?.({ port: (wss.address() as AddressInfo).port }));
  process.once('disconnect', () => process.exit(0));
} else if (process.argv[2] === '--proxy-child') {
  const proxies: FaultProxy[] = [];
  process.once('message', async (targets: Target[]) => {
    for (const target of targets) proxies.push(await createFaultProxy({ target }));
    process.send?.({ ports: proxies.map((p) => p.port) });
    process.on('message', () => process.send?.({ cpu: process.cpuUsage(), stats: proxies.map((p) => p.stats()) }));
  });
  process.once('disconnect', () => process.exit(0));
} else {
  await main();
}

function forkChild(flag: string): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [flag], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error('bench child exited'));
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
    child.once('exit', onExit);
  });
}

/** WebSocket echo: `clients` sockets, each keeping `window` messages in flight; returns messages/s. */
async function wsTurn(url: string, seconds: number, clients: number, window: number, size: number): Promise<number> {
  const payload = Buffer.alloc(size, 0x61);
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
  let running = true;
  let echoed = 0;
  const start = performance.now();
  for (const ws of sockets) {
    ws.on('message', () => {
      echoed++;
      if (running) ws.send(payload);
    });
    for (let i = 0; i < window; i++) ws.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const rate = (echoed * 1000) / (performance.now() - start);
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  );
  return rate;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      connections: { type: 'string', default: '50' },
      'ws-clients': { type: 'string', default: '20' },
      'ws-window': { type: 'string', default: '16' },
      'ws-size': { type: 'string', default: '256' },
      inline: { type: 'boolean', default: false },
    },
  });
  const turnS = Math.min(10, Number(values.duration)) / 4;
  const connections = Number(values.connections);
  const ws = { clients: Number(values['ws-clients']), window: Number(values['ws-window']), size: Number(values['ws-size']) };
  const log = (line: string): void => void process.stderr.write(`[bench:proxy] ${line}\n`);

  const { default: autocannon } = await import('autocannon');
  const { startReferenceServerProcess } = await import('../src/server/server-process.js');
  const server = await startReferenceServerProcess({ agents: 10, seed: 'bench-proxy', rateLimit: -1, identity: false });
  const echo = forkChild('--echo-child');
  const children: ChildProcess[] = [echo];
  const inlineProxies: FaultProxy[] = [];
  try {
    const echoPort = (await nextMessage<{ port: number }>(echo)).port;
    const serverPort = Number(new URL(server.url).port);
    const targets: Target[] = [
      { host: '127.0.0.1', port: serverPort },
      { host: '127.0.0.1', port: echoPort },
    ];
    let proxyPorts: number[];
    let proxyCpu: () => Promise<number> = async () => 0;
    if (values.inline) {
      for (const target of targets) inlineProxies.push(await createFaultProxy({ target }));
      proxyPorts = inlineProxies.map((p) => p.port);
    } else {
      const child = forkChild('--proxy-child');
      children.push(child);
      child.send(targets);
      proxyPorts = (await nextMessage<{ ports: number[] }>(child)).ports;
      proxyCpu = async () => {
        child.send('cpu');
        const { cpu } = await nextMessage<{ cpu: NodeJS.CpuUsage }>(child);
        return cpu.user + cpu.system;
      };
    }
    const agentPath = `/api/v2/workspaceagents/${server.credentials.agents[0]!.id}`;
    const headers = { 'Coder-Session-Token': server.credentials.userToken };
    const restUrl = { direct: `http://127.0.0.1:${serverPort}${agentPath}`, proxied: `http://127.0.0.1:${proxyPorts[0]}${agentPath}` };
    const wsUrl = { direct: `ws://127.0.0.1:${echoPort}`, proxied: `ws://127.0.0.1:${proxyPorts[1]}` };
    const proxiedWork = { rest: { us: 0, n: 0 }, ws: { us: 0, n: 0 } };

    const restTurn = async (via: 'direct' | 'proxied', seconds: number): Promise<number> => {
      const cpuBefore = via === 'proxied' ? await proxyCpu() : 0;
      const result = await autocannon({ url: restUrl[via], connections, duration: seconds, headers });
      if (result.non2xx + result.errors > 0) throw new Error(`${via}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      if (via === 'proxied') {
        proxiedWork.rest.us += (await proxyCpu()) - cpuBefore;
        proxiedWork.rest.n += result.requests.total;
      }
      const rps = result.requests.total / result.duration;
      log(`rest ${via}: ${rps.toFixed(0)} req/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms)`);
      return rps;
    };
    const echoTurn = async (via: 'direct' | 'proxied', seconds: number): Promise<number> => {
      const cpuBefore = via === 'proxied' ? await proxyCpu() : 0;
      const rate = await wsTurn(wsUrl[via], seconds, ws.clients, ws.window, ws.size);
      if (via === 'proxied') {
        proxiedWork.ws.us += (await proxyCpu()) - cpuBefore;
        proxiedWork.ws.n += rate * seconds;
      }
      log(`ws ${via}: ${rate.toFixed(0)} msgs/s`);
      return rate;
    };

    log(`warm-up; then A-B-B-A turns of ${turnS}s (${values.inline ? 'proxy inline in this process' : 'proxy in its own process'})`);
    for (const via of ['direct', 'proxied'] as const) {
      await restTurn(via, 1);
      await echoTurn(via, 1);
    }
    proxiedWork.rest = { us: 0, n: 0 };
    proxiedWork.ws = { us: 0, n: 0 };
    const rest = await measureOverhead((via) => restTurn(via, turnS));
    const echoed = await measureOverhead((via) => echoTurn(via, turnS));
    const perUnit = (w: { us: number; n: number }): number => (w.n > 0 ? Math.round((w.us / w.n) * 100) / 100 : 0);
    const line = {
      bench: 'proxy',
      rest_direct_rps: Math.round(rest.direct),
      rest_proxied_rps: Math.round(rest.proxied),
      rest_ratio: rest.ratio,
      ws_direct_msgs_per_s: Math.round(echoed.direct),
      ws_proxied_msgs_per_s: Math.round(echoed.proxied),
      ws_ratio: echoed.ratio,
      placement: values.inline ? 'inline' : 'child',
      ...(values.inline ? {} : { proxy_cpu_us_per_req: perUnit(proxiedWork.rest), proxy_cpu_us_per_msg: perUnit(proxiedWork.ws) }),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await Promise.all(inlineProxies.map((p) => p.close()));
    for (const child of children) child.kill();
    await server.close();
  }
}
