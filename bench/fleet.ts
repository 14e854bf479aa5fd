/**
 * bench:fleet — how many fake agents one harness process holds, and at what cost compared with
 * plain idle WebSockets.
 *
 *   npm run bench:fleet -- --agents 5000 [--timeout 240] [--settle 15] [--addresses 4] [--dials 256] [--warmup 500]
 *
 * The embedded server runs in its own process (rate limit off, 10 min report interval). Each
 * measured phase runs in a fresh child process (so RSS deltas do not inherit the other phase's
 * heap): first the fleet (coordinate sockets + stats + app-health + lifecycle loops), then a raw
 * `ws` client holding the same number of idle coordinate sockets. Both phases use the same
 * source addresses (127.0.0.x, beyond ~14k sockets per address pair) and the same number of
 * handshakes in flight. The last stdout line is one JSON object:
 *   {"bench":"fleet","agents":N,"rss_kb_per_agent":…,"raw_rss_kb_per_conn":…,"ramp_agents_per_s":…,"raw_connects_per_s":…,…}
 * plus the V8 heap in use per agent / per raw socket (heap_kb_per_agent, raw_heap_kb_per_conn:
 * retained objects only, steadier than RSS) and each phase's new-space size (new_space_kb: V8
 * grows the young generation during allocation bursts and keeps it, which RSS then includes).
 * Figures are machine-dependent; compare the ratios measured in one run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '5000' },
    timeout: { type: 'string', default: '240' },
    settle: { type: 'string', default: '15' },
    addresses: { type: 'string', default: '4' },
    dials: { type: 'string', default: '256' },
    warmup: { type: 'string', default: '500' },
    phase: { type: 'string' },
    url: { type: 'string' },
    credentials: { type: 'string' },
  },
});
const count = Number(values.agents);
const timeoutS = Number(values.timeout);
const settleS = Number(values.settle);
const dials = Number(values.dials);
const addresses = Array.from({ length: Math.max(1, Number(values.addresses)) }, (_, i) => `127.0.0.${i + 1}`);

if (values.phase) {
  const result = await runPhase({
    phase: values.phase as 'agents' | 'raw',
    url: values.url!,
    credentialsPath: values.credentials!,
    count,
    timeoutMs: timeoutS * 1000,
    settleMs: settleS * 1000,
    addresses,
    dials,
    warmup: Number(values.warmup),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

const { startReferenceServerProcess } = await import('../src/server/server-process.js');
const log = (line: string): void => void process.stderr.write(`[bench:fleet] ${line}\n`);

log(`starting the reference server with ${count} agents`);
const server = await startReferenceServerProcess({ agents: count, seed: 'bench-fleet', rateLimit: -1, reportIntervalMs: 600_000, identity: false });
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-'));
const credentialsPath = join(dir, 'credentials.json');
writeFileSync(credentialsPath, JSON.stringify(server.credentials), { mode: 0o600 });

interface PhaseResult {
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
  /** CPU the harness child used from the start of the ramp until every socket was open. */
  rampCpuMs?: number;
  /** CPU the server process used during the whole phase (set by the parent). */
  serverCpuMs?: number;
  marks?: Record<string, number>;
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
  } catch {
    return NaN;
  }
}

async function phase(name: 'agents' | 'raw'): Promise<PhaseResult> {
  const serverCpuBefore = processCpuMs(server.pid);
  const self = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', '--import', 'tsx', self, '--phase', name, '--url', server.url, '--credentials', credentialsPath];
  args.push(
    '--agents',
    String(count),
    '--timeout',
    String(timeoutS),
    '--settle',
    String(settleS),
    '--addresses',
    String(addresses.length),
    '--dials',
    String(dials),
    '--warmup',
    String(values.warmup),
  );
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`phase ${name} failed (exit ${code}): ${out.slice(-500)}`);
  const result = JSON.parse(line) as PhaseResult;
  result.serverCpuMs = Math.round(processCpuMs(server.pid) - serverCpuBefore);
  return result;
}

try {
  const agents = await phase('agents');
  log(`fleet: ${JSON.stringify(agents)}`);
  const raw = await phase('raw');
  log(`raw: ${JSON.stringify(raw)}`);
  const perKb = (r: PhaseResult): number => Math.round(((r.rssAfterKb - r.rssBeforeKb) / Math.max(1, r.connected)) * 100) / 100;
  const heapPerKb = (r: PhaseResult): number => Math.round(((r.heapAfterKb - r.heapBeforeKb) / Math.max(1, r.connected)) * 100) / 100;
  const perS = (r: PhaseResult): number => Math.round((r.connected / Math.max(1, r.rampMs)) * 1000);
  const summary = {
    bench: 'fleet',
    agents: agents.connected,
    rss_kb_per_agent: perKb(agents),
    raw_rss_kb_per_conn: perKb(raw),
    ramp_agents_per_s: perS(agents),
    raw_connects_per_s: perS(raw),
    rss_ratio: Math.round((perKb(agents) / Math.max(0.01, perKb(raw))) * 100) / 100,
    ramp_ratio: Math.round((perS(agents) / Math.max(1, perS(raw))) * 100) / 100,
    heap_kb_per_agent: heapPerKb(agents),
    raw_heap_kb_per_conn: heapPerKb(raw),
    new_space_kb: agents.newSpaceAfterKb,
    raw_new_space_kb: raw.newSpaceAfterKb,
    requested: count,
    agent_errors: agents.errors,
    raw_errors: raw.errors,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
}

// ---------------------------------------------------------------------------------------------
// One measured phase, in its own process.

interface PhaseOptions {
  phase: 'agents' | 'raw';
  url: string;
  credentialsPath: string;
  count: number;
  timeoutMs: number;
  settleMs: number;
  addresses: string[];
  dials: number;
  warmup: number;
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
  if (process.env.FLEET_BENCH_DEBUG)
    process.stderr.write(`memory ${JSON.stringify(Object.fromEntries(Object.entries({ ...m, newSpace }).map(([k, v]) => [k, Math.round(v / 1024)])))}\n`);
  return { rss: Math.round(m.rss / 1024), heap: Math.round(m.heapUsed / 1024), newSpace: Math.round(newSpace / 1024) };
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A short unmeasured round first (the first agents, then closed) warms the JIT of both
 * processes, so neither phase is charged for the server's or the harness's warm-up.
 */
async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  // The baseline is taken before the warm-up: its garbage would otherwise inflate it until V8's
  // memory reducer runs, which takes seconds.
  await import('../src/workloads/agents/fleet.js');
  await pause(500);
  const baseline = await steadyMemoryKb(1500);
  const warmup = Math.min(o.warmup, Math.floor(o.count / 2));
  if (warmup > 0) await measurePhase({ ...o, count: warmup, settleMs: 500 }, baseline);
  await pause(1000);
  return measurePhase(o, baseline);
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

async function measurePhase(o: PhaseOptions, before: MemoryKb): Promise<PhaseResult> {
  const { parseCredentials } = await import('../src/runner/credentials-file.js');
  const credentials = parseCredentials(JSON.parse(readFileSync(o.credentialsPath, 'utf8')), 'bench credentials');
  const agents = credentials.agents.slice(0, o.count);
  // Load every module and warm the heap before the baseline.
  const { createAgentFleet } = await import('../src/workloads/agents/fleet.js');
  const { agentsKind } = await import('../src/workloads/agents/kind.js');
  const { sectionConfig } = await import('../src/workloads/kind.js');
  const { systemClock } = await import('../src/core/clock.js');
  const { createRng } = await import('../src/core/rng.js');
  const { createLogger } = await import('../src/core/log.js');
  const { nullSink } = await import('../src/metrics/sink.js');
  const { METRIC } = await import('../src/metrics/names.js');
  const cpuStart = process.cpuUsage();
  const cpuMs = (): number => {
    const used = process.cpuUsage(cpuStart);
    return Math.round((used.user + used.system) / 1000);
  };
  let rampCpuMs = 0;
  const started = performance.now();
  let connected = 0;
  let rampMs = 0;
  let errors = 0;
  const errorClasses: Record<string, number> = {};
  /** ms from the start until 50 / 90 / 99 % of the agents were connected. */
  const marks: Record<string, number> = {};
  const deadline = started + o.timeoutMs;

  if (o.phase === 'agents') {
    const stop = new AbortController();
    const metrics = {
      ...nullSink,
      gauge: (name: string, value: number) => {
        if (name === METRIC.agentsConnected) {
          connected = Math.max(connected, value);
          for (const q of [0.5, 0.9, 0.99]) {
            if (value === Math.ceil(agents.length * q) && marks[String(q)] === undefined) marks[String(q)] = Math.round(performance.now() - started);
          }
          if (value === agents.length && rampMs === 0) {
            rampMs = performance.now() - started;
            rampCpuMs = cpuMs();
          }
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
    const config = sectionConfig(agentsKind, { apps: { healthyAfter: 2000, checkInterval: 1000, flapRate: 0 } }, { durationMs });
    const fleet = createAgentFleet(config, {
      schedule: () => agents.length,
      durationMs,
      localAddresses: o.addresses,
      maxConcurrentDials: o.dials,
    });
    const log = createLogger({ level: 'warn' });
    const running = fleet.run({
      signal: stop.signal,
      clock: systemClock(),
      metrics,
      target: { url: o.url, embedded: true },
      credentials: { ...credentials, agents },
      rng: createRng('bench-fleet'),
      log,
    });
    while (rampMs === 0 && performance.now() < deadline) await pause(50);
    if (rampMs === 0) {
      rampMs = performance.now() - started;
      rampCpuMs = cpuMs();
    }
    // Lifecycle, first stats and app health settle; timers reach steady state; V8 shrinks.
    const after = await steadyMemoryKb(o.settleMs);
    stop.abort();
    await running;
    return {
      phase: o.phase,
      count: agents.length,
      connected,
      rampMs: Math.round(rampMs),
      rssBeforeKb: before.rss,
      rssAfterKb: after.rss,
      heapBeforeKb: before.heap,
      heapAfterKb: after.heap,
      newSpaceAfterKb: after.newSpace,
      errors,
      errorClasses,
      rampCpuMs,
      marks,
    };
  }

  // Raw: idle ws clients on the same route, token in the same cookie, same dial concurrency.
  const sockets: WebSocket[] = [];
  const url = o.url.replace(/^http/, 'ws') + '/api/v2/workspaceagents/me/coordinate';
  let next = 0;
  const dialOne = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, {
        headers: { cookie: `coder_session_token=${agents[index]!.token}` },
        perMessageDeflate: false,
        localAddress: o.addresses[index % o.addresses.length],
        handshakeTimeout: 30_000,
      });
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
  rampMs = performance.now() - started;
  rampCpuMs = cpuMs();
  const after = await steadyMemoryKb(o.settleMs);
  for (const ws of sockets) ws.close(1000);
  await pause(500);
  for (const ws of sockets) ws.terminate();
  return {
    phase: o.phase,
    count: agents.length,
    connected,
    rampMs: Math.round(rampMs),
    rssBeforeKb: before.rss,
    rssAfterKb: after.rss,
    heapBeforeKb: before.heap,
    heapAfterKb: after.heap,
    newSpaceAfterKb: after.newSpace,
    errors,
    rampCpuMs,
  };
}
