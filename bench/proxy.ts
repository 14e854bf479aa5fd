/**
 * bench:proxy — what the idle fault proxy costs: REST requests/s and WebSocket echo messages/s
 * direct and through the proxy (no action active, so every connection runs on the pipe fast
 * path), measured in the same run, two ways (docs/benchmarks.md#benchproxy).
 *
 *   npm run bench:proxy -- [--duration 8] [--connections 50] [--ws-clients 20] [--ws-window 16] [--ws-size 256]
 *                          [--fixed-share 0.5] [--fixed-rest-rate N] [--fixed-ws-rate N] [--inline] [--cpu-prof DIR]
 *
 * The reference server (rate limit off) and a bare ws echo server each run in their own child
 * process; the proxies (one in front of each) run in a third child, or with `--inline` in this
 * process beside the load generator (as they would if the run hosted them on its own loop).
 *
 * 1. Closed loop (maximum throughput): autocannon `GET /api/v2/workspaceagents/{id}` with the
 *    user token; WebSocket clients each keeping `--ws-window` messages of `--ws-size` bytes in
 *    flight against the echo. On a 2-core machine direct already saturates both cores with the
 *    generator and the server, so this ratio mostly measures how the proxy's process shares the
 *    CPU, not what the proxy itself limits.
 * 2. Fixed rate (the fair measure): the same offered rate direct and proxied — `--fixed-share`
 *    of the slower direct turn of step 1, or a pinned `--fixed-rest-rate` / `--fixed-ws-rate` —
 *    sent open loop (proxy-fixed-rate.ts) and timed per answer: achieved ratio, p50/p99 latency
 *    each way and what the proxy adds, and the proxy's CPU per request / message at that rate,
 *    beside a bare Node relay (bare-relay.ts) hosted in the same process at the same rate.
 *
 * Closed-loop legs run A-B-B-A (direct, proxied, proxied, direct), fixed-rate legs A-B-C-C-B-A
 * (C = the bare relay), `duration / 4` seconds a turn, after a short warm-up, on 127.0.0.1 only. The last stdout line is one JSON object (field list in
 * docs/benchmarks.md#benchproxy). `--cpu-prof DIR` writes a V8 CPU profile of the proxy child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { WebSocketServer } from 'ws';
import { createFaultProxy, type FaultProxy } from '../src/runner/fault-proxy/fault-proxy.js';
import { measureOverhead } from '../src/runner/fault-proxy/overhead.js';
import { type BareRelay, startBareRelay } from './bare-relay.js';
import { openEchoClients, restFixedTurn, wsFixedTurn } from './proxy-fixed-rate.js';
import { terminateAll } from '../src/workloads/peers/pair-sides.js';
import { cpuVsRelay, fixedRate, fixedVerdict, percentile, type FixedTurn, type FixedVerdict } from './proxy-measure.js';

type Target = { host: string; port: number };
type Via = 'direct' | 'proxied';
/** The fixed-rate legs also go through the bare relay (bare-relay.ts). */
type FixedVia = Via | 'relay';

/** The headline goal: proxied ÷ direct of at least this much. */
const GOAL_RATIO = 0.8;

if (process.argv[2] === '--echo-child') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  wss.on('listening', () => process.send?.({ port: (wss.address() as AddressInfo).port }));
  process.once('disconnect', () => process.exit(0));
} else if (process.argv[2] === '--proxy-child') {
  const proxies: FaultProxy[] = [];
  const relays: BareRelay[] = [];
  process.once('message', async (targets: Target[]) => {
    for (const target of targets) proxies.push(await createFaultProxy({ target }));
    for (const target of targets) relays.push(await startBareRelay(target));
    process.send?.({ ports: proxies.map((p) => p.port), relayPorts: relays.map((r) => r.port) });
    process.on('message', () => process.send?.({ cpu: process.cpuUsage(), stats: proxies.map((p) => p.stats()) }));
  });
  process.once('disconnect', () => process.exit(0));
} else {
  await main();
}

function forkChild(flag: string, extraExecArgv: string[] = []): ChildProcess {
  const execArgv = ['--import', import.meta.resolve('tsx'), ...extraExecArgv];
  return fork(fileURLToPath(import.meta.url), [flag], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Lets a child exit by itself (so `--cpu-prof` writes its profile), killing it after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill(), 5000);
  await exited;
  clearTimeout(timer);
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
  const sockets = await openEchoClients(url, clients);
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
  await terminateAll(sockets);
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
      'fixed-share': { type: 'string', default: '0.5' },
      'fixed-rest-rate': { type: 'string' },
      'fixed-ws-rate': { type: 'string' },
      inline: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  });
  const turnS = Math.min(10, Number(values.duration)) / 4;
  const connections = Number(values.connections);
  const ws = { clients: Number(values['ws-clients']), window: Number(values['ws-window']), size: Number(values['ws-size']) };
  const share = Number(values['fixed-share']);
  const log = (line: string): void => void process.stderr.write(`[bench:proxy] ${line}\n`);
  const loadAvg = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
  const loadBefore = loadAvg();
  log(`load average ${loadBefore.join(' ')} on ${availableParallelism()} cores`);

  const { default: autocannon } = await import('autocannon');
  const { startReferenceServerProcess } = await import('../src/server/server-process.js');
  const server = await startReferenceServerProcess({ agents: 10, seed: 'bench-proxy', rateLimit: -1, identity: false });
  const echo = forkChild('--echo-child');
  const children: ChildProcess[] = [echo];
  const inlineProxies: FaultProxy[] = [];
  const inlineRelays: BareRelay[] = [];
  try {
    const echoPort = (await nextMessage<{ port: number }>(echo)).port;
    const serverPort = Number(new URL(server.url).port);
    const targets: Target[] = [
      { host: '127.0.0.1', port: serverPort },
      { host: '127.0.0.1', port: echoPort },
    ];
    let proxyPorts: number[];
    let relayPorts: number[];
    let proxyCpu: () => Promise<number> = async () => 0;
    if (values.inline) {
      for (const target of targets) inlineProxies.push(await createFaultProxy({ target }));
      proxyPorts = inlineProxies.map((p) => p.port);
      for (const target of targets) inlineRelays.push(await startBareRelay(target));
      relayPorts = inlineRelays.map((r) => r.port);
    } else {
      const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
      const child = forkChild('--proxy-child', prof);
      children.push(child);
      child.send(targets);
      ({ ports: proxyPorts, relayPorts } = await nextMessage<{ ports: number[]; relayPorts: number[] }>(child));
      proxyCpu = async () => {
        child.send('cpu');
        const { cpu } = await nextMessage<{ cpu: NodeJS.CpuUsage }>(child);
        return cpu.user + cpu.system;
      };
    }
    const agentPath = `/api/v2/workspaceagents/${server.credentials.agents[0]!.id}`;
    const headers = { 'Coder-Session-Token': server.credentials.userToken };
    const restUrl = {
      direct: `http://127.0.0.1:${serverPort}${agentPath}`,
      proxied: `http://127.0.0.1:${proxyPorts[0]}${agentPath}`,
      relay: `http://127.0.0.1:${relayPorts[0]}${agentPath}`,
    };
    const wsUrl = { direct: `ws://127.0.0.1:${echoPort}`, proxied: `ws://127.0.0.1:${proxyPorts[1]}`, relay: `ws://127.0.0.1:${relayPorts[1]}` };
    const proxiedWork = { rest: { us: 0, n: 0 }, ws: { us: 0, n: 0 } };
    // Each direct closed-loop turn's rate: the fixed rate is a share of the slowest, so one
    // lucky turn on a busy machine does not set a rate the direct path itself cannot hold.
    const directRates = { rest: [] as number[], ws: [] as number[] };

    const restTurn = async (via: Via, seconds: number): Promise<number> => {
      const cpuBefore = via === 'proxied' ? await proxyCpu() : 0;
      const result = await autocannon({ url: restUrl[via], connections, duration: seconds, headers });
      if (result.non2xx + result.errors > 0) throw new Error(`${via}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      if (via === 'proxied') {
        proxiedWork.rest.us += (await proxyCpu()) - cpuBefore;
        proxiedWork.rest.n += result.requests.total;
      }
      const rps = result.requests.total / result.duration;
      if (via === 'direct') directRates.rest.push(rps);
      log(`rest ${via}: ${rps.toFixed(0)} req/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms)`);
      return rps;
    };
    const echoTurn = async (via: Via, seconds: number): Promise<number> => {
      const cpuBefore = via === 'proxied' ? await proxyCpu() : 0;
      const rate = await wsTurn(wsUrl[via], seconds, ws.clients, ws.window, ws.size);
      if (via === 'proxied') {
        proxiedWork.ws.us += (await proxyCpu()) - cpuBefore;
        proxiedWork.ws.n += rate * seconds;
      }
      if (via === 'direct') directRates.ws.push(rate);
      log(`ws ${via}: ${rate.toFixed(0)} msgs/s`);
      return rate;
    };
    /**
     * A-B-C-C-B-A fixed-rate turns (direct, proxied, bare relay); the proxy process's CPU is
     * taken around each proxied and relay turn (both are hosted there).
     */
    const fixedLeg = async (
      name: string,
      rate: number,
      turn: (via: FixedVia) => Promise<Omit<FixedTurn, 'proxyCpuUs'>>,
    ): Promise<{ proxied: FixedVerdict; relay: FixedVerdict }> => {
      const turns: Record<FixedVia, FixedTurn[]> = { direct: [], proxied: [], relay: [] };
      for (const via of ['direct', 'proxied', 'relay', 'relay', 'proxied', 'direct'] as const) {
        const hosted = via !== 'direct';
        const cpuBefore = hosted ? await proxyCpu() : 0;
        const t = await turn(via);
        const proxyCpuUs = hosted ? (await proxyCpu()) - cpuBefore : 0;
        turns[via].push({ ...t, proxyCpuUs });
        const sorted = Float64Array.from(t.latenciesMs).sort();
        log(
          `${name} fixed ${via}: ${rate}/s offered, ${(t.done / t.seconds).toFixed(0)}/s answered ` +
            `(p50 ${percentile(sorted, 50).toFixed(3)} ms, p99 ${percentile(sorted, 99).toFixed(3)} ms)`,
        );
      }
      return { proxied: fixedVerdict(rate, turns.direct, turns.proxied), relay: fixedVerdict(rate, turns.direct, turns.relay) };
    };

    log(`warm-up; then A-B-B-A turns of ${turnS}s (${values.inline ? 'proxy inline in this process' : 'proxy in its own process'})`);
    for (const via of ['direct', 'proxied'] as const) {
      await restTurn(via, 1);
      await echoTurn(via, 1);
    }
    proxiedWork.rest = { us: 0, n: 0 };
    proxiedWork.ws = { us: 0, n: 0 };
    directRates.rest.length = 0;
    directRates.ws.length = 0;
    const rest = await measureOverhead((via) => restTurn(via, turnS));
    const echoed = await measureOverhead((via) => echoTurn(via, turnS));
    const restRate = values['fixed-rest-rate'] ? Number(values['fixed-rest-rate']) : fixedRate(Math.min(...directRates.rest), share);
    const wsRate = values['fixed-ws-rate'] ? Number(values['fixed-ws-rate']) : fixedRate(Math.min(...directRates.ws), share);
    log(`fixed rate: REST ${restRate}/s, WS ${wsRate} msgs/s, the same direct and proxied`);
    const restFixed = await fixedLeg('rest', restRate, (via) => restFixedTurn(restUrl[via], headers, restRate, turnS, connections));
    const wsFixed = await fixedLeg('ws', wsRate, (via) => wsFixedTurn(wsUrl[via], wsRate, turnS, ws.clients, ws.size));
    const perUnit = (w: { us: number; n: number }): number => (w.n > 0 ? Math.round((w.us / w.n) * 100) / 100 : 0);
    const child = !values.inline;
    const line = {
      bench: 'proxy',
      rest_direct_rps: Math.round(rest.direct),
      rest_proxied_rps: Math.round(rest.proxied),
      rest_ratio: rest.ratio,
      ws_direct_msgs_per_s: Math.round(echoed.direct),
      ws_proxied_msgs_per_s: Math.round(echoed.proxied),
      ws_ratio: echoed.ratio,
      placement: child ? 'child' : 'inline',
      ...(child ? { proxy_cpu_us_per_req: perUnit(proxiedWork.rest), proxy_cpu_us_per_msg: perUnit(proxiedWork.ws) } : {}),
      ...fixedFields('rest', restFixed, child),
      ...fixedFields('ws', wsFixed, child),
      goal_ratio: GOAL_RATIO,
      meets_goal: {
        rest_ratio: rest.ratio >= GOAL_RATIO,
        ws_ratio: echoed.ratio >= GOAL_RATIO,
        rest_fixed_ratio: restFixed.proxied.ratio >= GOAL_RATIO,
        ws_fixed_ratio: wsFixed.proxied.ratio >= GOAL_RATIO,
      },
      load_avg_before: loadBefore,
      load_avg_after: loadAvg(),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await Promise.all([...inlineProxies, ...inlineRelays].map((p) => p.close()));
    await Promise.all(children.map(stopChild));
    await server.close();
  }
}

/** The fixed-rate fields of the JSON line for one leg (`rest_fixed_…`, `ws_fixed_…`). */
function fixedFields(leg: 'rest' | 'ws', { proxied: v, relay }: { proxied: FixedVerdict; relay: FixedVerdict }, withCpu: boolean): Record<string, number> {
  const unit = leg === 'rest' ? 'req' : 'msg';
  return {
    [`${leg}_fixed_rate`]: v.rate,
    [`${leg}_fixed_direct_per_s`]: v.directPerSecond,
    [`${leg}_fixed_proxied_per_s`]: v.proxiedPerSecond,
    [`${leg}_fixed_ratio`]: v.ratio,
    [`${leg}_p50_direct_ms`]: v.p50.direct,
    [`${leg}_p50_proxied_ms`]: v.p50.proxied,
    [`${leg}_p50_added_ms`]: v.p50.added,
    [`${leg}_p99_direct_ms`]: v.p99.direct,
    [`${leg}_p99_proxied_ms`]: v.p99.proxied,
    [`${leg}_p99_added_ms`]: v.p99.added,
    [`${leg}_p50_relay_added_ms`]: relay.p50.added,
    ...(withCpu
      ? {
          [`${leg}_fixed_proxy_cpu_us_per_${unit}`]: v.proxyCpuUsPerUnit,
          [`${leg}_fixed_relay_cpu_us_per_${unit}`]: relay.proxyCpuUsPerUnit,
          [`${leg}_cpu_vs_relay`]: cpuVsRelay(v.proxyCpuUsPerUnit, relay.proxyCpuUsPerUnit),
        }
      : {}),
  };
}
