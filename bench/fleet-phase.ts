/**
 * One measured phase of bench:fleet, run in a fresh child process (`bench/fleet.ts --phase …`)
 * so RSS deltas do not inherit another phase's heap:
 *
 * - `agents`: fleetsim's fleet (createAgentFleet, v1 or v2) with fleetsim's recorder as its
 *   sink, so the start-up latencies are the ones a fleetsim report would show;
 * - `startup`: the bare undici + ws client doing the same start-up (bench/bare-startup.ts);
 * - `raw`: idle WebSockets on the agent's socket route (v1 `/me/coordinate`; v2 `/me/rpc`,
 *   answering the server's yamux pings and nothing else, bench/yamux-pong.ts).
 *
 * A short unmeasured round first (the first `warmup` agents, then closed) warms the JIT of both
 * processes, so no phase is charged for the server's or the harness's warm-up.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import WebSocket from 'ws';
import { YamuxPonger } from './yamux-pong.js';

export type PhaseName = 'agents' | 'raw' | 'startup';

export interface PhaseOptions {
  phase: PhaseName;
  protocol: 'v1' | 'v2';
  /** `agents.http` of the fleet, and the bare client's connection model. */
  http: 'shared' | 'per-agent';
  url: string;
  credentialsPath: string;
  count: number;
  timeoutMs: number;
  settleMs: number;
  addresses: string[];
  dials: number;
  warmup: number;
}

export interface PhaseResult {
  phase: string;
  count: number;
  connected: number;
  rampMs: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  /** V8 heap in use after a full GC (the retained objects, without heap slack or native memory). */
  heapBeforeKb: number;
  heapAfterKb: number;
  /** V8's new space (young generation) at the after sample: it grows with allocation bursts. */
  newSpaceAfterKb: number;
  errors: number;
  errorClasses?: Record<string, number>;
  /** CPU the child used from the start of the ramp until every socket was open. */
  rampCpuMs?: number;
  /** CPU the server process used during the whole phase (set by the parent). */
  serverCpuMs?: number;
  marks?: Record<string, number>;
  /** Fleet phase: the fewest agents connected at once from the end of the ramp to the memory sample. */
  heldMin?: number;
  /** `request` latencies by endpoint, encoded HDR histograms in µs (agents and startup phases). */
  latency?: Record<string, string>;
  /** Bare start-up phase only: every request timed from its call (bare-startup.ts). */
  latencyFromCall?: Record<string, string>;
}

interface MemoryKb {
  rss: number;
  heap: number;
  newSpace: number;
}

function memoryKb(): MemoryKb {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return { rss: Math.round(m.rss / 1024), heap: Math.round(m.heapUsed / 1024), newSpace: Math.round(newSpace / 1024) };
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * RSS once the heap has settled: V8 gives memory back some seconds after a burst, so sample
 * (after a full GC) every 500 ms for `windowMs` and keep the lowest.
 */
async function steadyMemoryKb(windowMs: number): Promise<MemoryKb> {
  let lowest = memoryKb();
  for (let waited = 0; waited < windowMs; waited += 500) {
    await pause(500);
    const now = memoryKb();
    if (now.rss < lowest.rss) lowest = { ...now, heap: Math.min(now.heap, lowest.heap) };
    else lowest.heap = Math.min(now.heap, lowest.heap);
  }
  return lowest;
}

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  // Every phase loads the same modules before its baseline, so module code is in no delta. The
  // baseline is taken before the warm-up: its garbage would otherwise inflate it until V8's
  // memory reducer runs, which takes seconds.
  await import('../src/workloads/agents/fleet.js');
  if (o.protocol === 'v2') await import('../src/workloads/agents/v2/fake-agent-v2.js');
  await import('./bare-startup.js');
  await pause(500);
  const baseline = await steadyMemoryKb(1500);
  const warmup = Math.min(o.warmup, Math.floor(o.count / 2));
  if (warmup > 0) await measurePhase({ ...o, count: warmup, settleMs: 500 }, baseline);
  await pause(1000);
  return measurePhase(o, baseline);
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return Math.round((used.user + used.system) / 1000);
}

async function measurePhase(o: PhaseOptions, before: MemoryKb): Promise<PhaseResult> {
  const { parseCredentials } = await import('../src/runner/credentials-file.js');
  const credentials = parseCredentials(JSON.parse(readFileSync(o.credentialsPath, 'utf8')), 'bench credentials');
  const agents = credentials.agents.slice(0, o.count);
  const result = (after: MemoryKb, fields: Partial<PhaseResult>): PhaseResult => ({
    phase: o.phase,
    count: agents.length,
    connected: 0,
    rampMs: 0,
    rssBeforeKb: before.rss,
    rssAfterKb: after.rss,
    heapBeforeKb: before.heap,
    heapAfterKb: after.heap,
    newSpaceAfterKb: after.newSpace,
    errors: 0,
    ...fields,
  });
  if (o.phase === 'agents') return fleetPhase(o, { ...credentials, agents }, result);
  if (o.phase === 'startup') return startupPhase(o, agents, result);
  return rawPhase(o, agents, result);
}

type Finish = (after: MemoryKb, fields: Partial<PhaseResult>) => PhaseResult;
type Credentials = ReturnType<typeof import('../src/runner/credentials-file.js').parseCredentials>;

async function fleetPhase(o: PhaseOptions, credentials: Credentials, finish: Finish): Promise<PhaseResult> {
  const { createAgentFleet } = await import('../src/workloads/agents/fleet.js');
  const { agentsKind } = await import('../src/workloads/agents/kind.js');
  const { sectionConfig } = await import('../src/workloads/kind.js');
  const { systemClock } = await import('../src/core/clock.js');
  const { createRng } = await import('../src/core/rng.js');
  const { createLogger } = await import('../src/core/log.js');
  const { nullSink } = await import('../src/metrics/sink.js');
  const { teeSink } = await import('../src/metrics/tee-sink.js');
  const { createRecorder } = await import('../src/metrics/recorder.js');
  const { METRIC } = await import('../src/metrics/names.js');
  const agents = credentials.agents;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const deadline = started + o.timeoutMs;
  let connected = 0;
  let heldMin = Number.POSITIVE_INFINITY;
  let rampMs = 0;
  let rampCpuMs = 0;
  let errors = 0;
  const errorClasses: Record<string, number> = {};
  /** ms from the start until 50 / 90 / 99 % of the agents were connected. */
  const marks: Record<string, number> = {};
  const stop = new AbortController();
  const clock = systemClock();
  // fleetsim's own recorder: its `request` histograms are what a fleetsim report would show.
  const recorder = createRecorder({ clock });
  const watch = {
    ...nullSink,
    gauge: (name: string, value: number) => {
      if (name !== METRIC.agentsConnected) return;
      connected = Math.max(connected, value);
      // Sockets closed cleanly (1000/1001) are no error: this shows whether the fleet stayed up.
      if (rampMs > 0) heldMin = Math.min(heldMin, value);
      for (const q of [0.5, 0.9, 0.99]) {
        if (value === Math.ceil(agents.length * q) && marks[String(q)] === undefined) marks[String(q)] = Math.round(performance.now() - started);
      }
      if (value === agents.length && rampMs === 0) {
        rampMs = performance.now() - started;
        rampCpuMs = cpuMsSince(cpuStart);
      }
    },
    count: (name: string, n: number, tags?: Record<string, string>) => {
      if (name !== METRIC.error) return;
      errors += n;
      const key = `${tags?.endpoint} ${tags?.class}`;
      errorClasses[key] = (errorClasses[key] ?? 0) + n;
    },
  };
  const durationMs = o.timeoutMs + o.settleMs + 60_000;
  const config = sectionConfig(
    agentsKind,
    { protocol: o.protocol, http: o.http, apps: { healthyAfter: 2000, checkInterval: 1000, flapRate: 0 } },
    { durationMs },
  );
  const fleet = createAgentFleet(config, { schedule: () => agents.length, durationMs, localAddresses: o.addresses, maxConcurrentDials: o.dials });
  const running = fleet.run({
    signal: stop.signal,
    clock,
    metrics: teeSink(recorder, watch),
    target: { url: o.url, embedded: true, protocol: o.protocol },
    credentials,
    rng: createRng('bench-fleet'),
    log: createLogger({ level: 'warn' }),
  });
  while (rampMs === 0 && performance.now() < deadline) await pause(50);
  if (rampMs === 0) {
    rampMs = performance.now() - started;
    rampCpuMs = cpuMsSince(cpuStart);
  }
  // Lifecycle, first stats and app health settle; timers reach steady state; V8 shrinks.
  const after = await steadyMemoryKb(o.settleMs);
  // Read now: stopping the fleet below lowers the gauge.
  const held = heldMin === Number.POSITIVE_INFINITY ? connected : heldMin;
  const latency: Record<string, string> = {};
  for (const trend of recorder.encode().trends) if (trend.name === METRIC.request && trend.tags.endpoint) latency[trend.tags.endpoint] = trend.histogram;
  stop.abort();
  await running;
  return finish(after, { connected, heldMin: held, rampMs: Math.round(rampMs), errors, errorClasses, rampCpuMs, marks, latency });
}

async function startupPhase(o: PhaseOptions, agents: readonly { token: string }[], finish: Finish): Promise<PhaseResult> {
  const { startBareStartup } = await import('./bare-startup.js');
  const { createAgentNode } = await import('../src/protocol/node-factory.js');
  const { encodeNode } = await import('../src/protocol/node-codec.js');
  const { createRng } = await import('../src/core/rng.js');
  // Inputs are prepared before the clock starts: each agent's token and Node text.
  const bare = agents.map((a, i) => ({ token: a.token, node: encodeNode(createAgentNode(createRng(`bare-${i}`))) }));
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const run = startBareStartup({
    url: o.url,
    agents: bare,
    dials: o.dials,
    addresses: o.addresses,
    perAgentHttp: o.http === 'per-agent',
    poolSize: 256,
    deadline: started + o.timeoutMs,
  });
  let rampCpuMs = 0;
  const ramped = (): boolean => run.connected() + run.errors() >= bare.length;
  while (!ramped() && performance.now() < started + o.timeoutMs) await pause(20);
  rampCpuMs = cpuMsSince(cpuStart);
  const rampMs = run.rampMs();
  // Settle exactly as the fleet phase does (the delayed `ready` and app-health POSTs go out in
  // it); the warm-up round then cuts them off at the same point as the fleet's warm-up.
  const after = await steadyMemoryKb(o.settleMs);
  const latency = run.latency();
  const latencyFromCall = run.latencyFromCall();
  const result = finish(after, {
    connected: run.connected(),
    rampMs: Math.round(rampMs),
    errors: run.errors(),
    errorClasses: run.errorClasses(),
    rampCpuMs,
    latency,
    latencyFromCall,
  });
  await run.close();
  return result;
}

async function rawPhase(o: PhaseOptions, agents: readonly { token: string }[], finish: Finish): Promise<PhaseResult> {
  // Raw: idle ws clients on the agent's socket route, token in the same cookie, same dial concurrency.
  const sockets: WebSocket[] = [];
  const base = o.url.replace(/^http/, 'ws') + '/api/v2/workspaceagents/me/';
  const url = o.protocol === 'v2' ? `${base}rpc?version=2.2` : `${base}coordinate`;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const deadline = started + o.timeoutMs;
  let connected = 0;
  let errors = 0;
  let next = 0;
  const dialOne = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, {
        headers: { cookie: `coder_session_token=${agents[index]!.token}` },
        perMessageDeflate: false,
        localAddress: o.addresses[index % o.addresses.length],
        handshakeTimeout: 30_000,
      });
      if (o.protocol === 'v2') {
        // The server closes a /me/rpc session whose yamux pings go unanswered.
        const ponger = new YamuxPonger();
        ws.on('message', (data: Buffer) => {
          for (const pong of ponger.feed(data)) ws.send(pong);
        });
      }
      ws.on('open', () => {
        connected++;
        sockets.push(ws);
        resolve();
      });
      ws.on('error', () => {
        errors++;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (next < agents.length && performance.now() < deadline) await dialOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(o.dials, agents.length) }, worker));
  const rampMs = performance.now() - started;
  const rampCpuMs = cpuMsSince(cpuStart);
  const after = await steadyMemoryKb(o.settleMs);
  const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  for (const ws of sockets) ws.close(1000);
  await pause(500);
  for (const ws of sockets) ws.terminate();
  // A socket the server closed during the settle (e.g. a missed ping) is an error too.
  return finish(after, { connected, rampMs: Math.round(rampMs), errors: errors + (connected - open), rampCpuMs });
}
