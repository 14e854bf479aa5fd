/**
 * bench:fleet — how many fake agents one harness process holds, how fast they start, and at what
 * cost compared with a bare client and with plain idle WebSockets.
 *
 *   npm run bench:fleet -- --agents 5000 [--protocol v1|v2] [--http auto|shared|per-agent]
 *     [--timeout 240] [--settle 15] [--addresses 4] [--dials 256] [--warmup 500]
 *
 * Three phases, each in a fresh child process (bench/fleet-phase.ts) against a fresh embedded
 * server process (rate limit off, 10 min report interval): the fleet; for v1 the bare undici + ws
 * client doing the same start-up requests (bench/bare-startup.ts); idle raw WebSockets on the
 * agent's socket route (same server as the bare client: it keeps no state that matters to idle
 * sockets). All phases use the same source addresses, handshakes in flight and connection model.
 * The last stdout line is one JSON object (fields in docs/benchmarks.md, "bench:fleet"). Figures
 * are machine-dependent; compare the ratios measured in one run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { combinedLatency, latencyByEndpoint, perAgentKb, perSecond, ratio, round, startupLatencyRatio } from './fleet-figures.js';
import { runPhase, type PhaseName, type PhaseResult } from './fleet-phase.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '5000' },
    protocol: { type: 'string', default: 'v1' },
    http: { type: 'string', default: 'auto' },
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
const protocol = values.protocol === 'v2' ? 'v2' : 'v1';
if (values.protocol !== 'v1' && values.protocol !== 'v2') throw new Error(`--protocol must be v1 or v2, got ${values.protocol}`);
const addresses = Array.from({ length: Math.max(1, Number(values.addresses)) }, (_, i) => `127.0.0.${i + 1}`);
const http = await httpModel(values.http!, count);

if (values.phase) {
  const result = await runPhase({
    phase: values.phase as PhaseName,
    protocol,
    http,
    url: values.url!,
    credentialsPath: values.credentials!,
    count,
    timeoutMs: Number(values.timeout) * 1000,
    settleMs: Number(values.settle) * 1000,
    addresses,
    dials: Number(values.dials),
    warmup: Number(values.warmup),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

/**
 * `auto`: one REST connection per agent (like a real agent) when the fleet fits the open-files
 * limit with two descriptors per agent, else the shared pool (docs/benchmarks.md#open-files-per-process).
 */
async function httpModel(flag: string, agents: number): Promise<'shared' | 'per-agent'> {
  if (flag === 'shared' || flag === 'per-agent') return flag;
  if (flag !== 'auto') throw new Error(`--http must be auto, shared or per-agent, got ${flag}`);
  const { fdBudgetIssue } = await import('../src/workloads/agents/http-model.js');
  const { openFilesSoftLimit } = await import('../src/core/fd-limit.js');
  return fdBudgetIssue(agents, 0, openFilesSoftLimit()) === undefined ? 'per-agent' : 'shared';
}

const { startReferenceServerProcess } = await import('../src/server/server-process.js');
const log = (line: string): void => void process.stderr.write(`[bench:fleet] ${line}\n`);
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-'));

/** CPU ms (user + system) a process has used so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
  } catch {
    return NaN;
  }
}

type Server = Awaited<ReturnType<typeof startReferenceServerProcess>>;

async function startServer(name: string): Promise<{ server: Server; credentialsPath: string }> {
  log(`starting a reference server for the ${name} phase (${count} agents)`);
  // An idle fleet, like for like across protocols: stats every 10 min, and no metadata items in
  // the v2 manifest (a v1 agent has no periodic metadata reports; with the server's default two
  // items 19,000 v2 agents add ~2,500 BatchUpdateMetadata calls/s that the one server process
  // cannot answer while it also admits the ramp).
  const server = await startReferenceServerProcess({
    agents: count,
    seed: 'bench-fleet',
    rateLimit: -1,
    reportIntervalMs: 600_000,
    identity: false,
    metadata: [],
  });
  const credentialsPath = join(dir, `credentials-${name}.json`);
  writeFileSync(credentialsPath, JSON.stringify(server.credentials), { mode: 0o600 });
  return { server, credentialsPath };
}

async function phase(name: PhaseName, server: Server, credentialsPath: string): Promise<PhaseResult> {
  const serverCpuBefore = processCpuMs(server.pid);
  const self = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', '--import', 'tsx', self, '--phase', name, '--url', server.url, '--credentials', credentialsPath];
  for (const flag of ['agents', 'protocol', 'timeout', 'settle', 'addresses', 'dials', 'warmup'] as const) args.push(`--${flag}`, String(values[flag]));
  args.push('--http', http);
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

/** A phase's result on stderr, without the bulky encoded histograms. */
function show(result: PhaseResult): string {
  const { latency, latencyFromCall, ...rest } = result;
  return JSON.stringify({
    ...rest,
    ...(latency ? { latency: latencyByEndpoint(latency) } : {}),
    ...(latencyFromCall ? { latencyFromCall: latencyByEndpoint(latencyFromCall) } : {}),
  });
}

const servers: Server[] = [];
try {
  log(`protocol ${protocol}, REST connections ${http}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const first = await startServer('fleet');
  servers.push(first.server);
  const agents = await phase('agents', first.server, first.credentialsPath);
  log(`fleet: ${show(agents)}`);
  await first.server.close();
  servers.length = 0;

  const second = await startServer(protocol === 'v1' ? 'bare start-up and raw' : 'raw');
  servers.push(second.server);
  const startup = protocol === 'v1' ? await phase('startup', second.server, second.credentialsPath) : undefined;
  if (startup) log(`bare start-up: ${show(startup)}`);
  const raw = await phase('raw', second.server, second.credentialsPath);
  log(`raw: ${show(raw)}`);

  const rss = (r: PhaseResult): number => perAgentKb(r.rssBeforeKb, r.rssAfterKb, r.connected);
  const heap = (r: PhaseResult): number => perAgentKb(r.heapBeforeKb, r.heapAfterKb, r.connected);
  const rate = (r: PhaseResult): number => perSecond(r.connected, r.rampMs);
  // v2 agents make RPCs, not these requests: the start-up latency figures are v1's.
  const fleetLatency = protocol === 'v1' && agents.latency ? combinedLatency(agents.latency) : undefined;
  const bareLatency = startup?.latency ? combinedLatency(startup.latency) : undefined;
  const bareFromCall = startup?.latencyFromCall ? combinedLatency(startup.latencyFromCall) : undefined;
  const figures = (f: ReturnType<typeof combinedLatency> | undefined) =>
    f ? { p50: round(f.p50 ?? NaN, 3), p99: round(f.p99 ?? NaN, 3), count: f.count } : null;
  const summary = {
    bench: 'fleet',
    protocol,
    http,
    agents: agents.connected,
    held_min: agents.heldMin ?? null,
    rss_kb_per_agent: rss(agents),
    raw_rss_kb_per_conn: rss(raw),
    ramp_agents_per_s: rate(agents),
    raw_connects_per_s: rate(raw),
    raw_startup_per_s: startup ? rate(startup) : null,
    rss_ratio: ratio(rss(agents), rss(raw)),
    ramp_ratio: ratio(rate(agents), rate(raw)),
    ramp_vs_startup_ratio: startup ? ratio(rate(agents), rate(startup)) : null,
    startup_latency_ratio: fleetLatency && bareLatency ? startupLatencyRatio(fleetLatency, bareLatency) : null,
    startup_ms: figures(fleetLatency),
    bare_startup_ms: figures(bareLatency),
    startup_latency_ratio_from_call: fleetLatency && bareFromCall ? startupLatencyRatio(fleetLatency, bareFromCall) : null,
    bare_startup_from_call_ms: figures(bareFromCall),
    heap_kb_per_agent: heap(agents),
    raw_heap_kb_per_conn: heap(raw),
    new_space_kb: agents.newSpaceAfterKb,
    raw_new_space_kb: raw.newSpaceAfterKb,
    requested: count,
    agent_errors: agents.errors,
    startup_errors: startup ? startup.errors : null,
    raw_errors: raw.errors,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
  await Promise.allSettled(servers.map((s) => s.close()));
}
