/**
 * Coordinator throughput benchmark (the README's coordinator benchmarking; how to run and read it:
 * docs/benchmarks.md#benchcoordinator): `npm run bench:coordinator [-- options]`.
 *
 * One run drives, each in its own process, (1) the embedded reference server's coordinator
 * (rate limit off) and (2) a bare `ws` relay with the same fan-out that forwards bytes untouched
 * (and the server process's V8 flags, SERVER_V8_FLAGS), with the same load: 1,000 agents × 1
 * peer, agent updates at rising overall rates. Each side climbs a ladder of rates (×1.25 per
 * step, through 10,000/s) until it fails its budget (p99 ≤ 50 ms, 0 lost) twice at one rate,
 * then bisects the gap between its last passing rung and that rate (`--refine` times, geometric
 * midpoints, same fail-twice rule): its knee is its best passing delivered rate, known to within
 * ~6 % with the default 2 bisections. Steps of the two sides alternate. Per step: delivered rate, propagation percentiles (HDR, from the
 * intended send time), lost/dup/stale, CPU of the target per delivered update and of the two
 * load processes. The last stdout line is the JSON verdict (coordinator-knee.ts):
 *   {"bench":"coordinator","protocol":"v1|v2","updates_per_s":..,"raw_updates_per_s":..,"ratio":..,
 *    "cpu_us_per_update":..,"raw_cpu_us_per_update":..,"cpu_ratio":..,"p99_ms_at_10k":..,"lost":..}
 *
 * Options: --agents 1000 --start-rate 2000 --factor 1.25 --max-rate 60000 (or --rates a,b,c)
 *          --step-ms 3000 --max-seconds 180 (time budget of the climb)
 *          --refine 2 (bisections of the gap above the last passing rung; 0 = whole rungs only)
 *          --only server|relay
 *          --protocol v1|v2 (default v1): v2 drives the server with v2 agents (/me/rpc) and v2
 *          peers (/{id}/coordinate?version=2.0, Tailnet.Coordinate over yamux/dRPC) through its v2
 *          coordinator (docs/protocol-v2.md §6); the relay baseline stays the same v1 byte relay,
 *          so the ratios say what the v2 coordinator and its wire stack cost against forwarding
 *          bytes.
 *          --strict-relay (also drive a relay that runs the server's node codec: attribution only)
 *          --profile DIR (CPU profiles of the server process into DIR, of the relay into DIR/relay)
 * Loopback only; bounded: every step is count-bounded, the drain is capped at 10 s, the climb
 * by --max-seconds.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_V8_FLAGS, startReferenceServerProcess } from '../src/server/server-process.js';
import type { Credentials } from '../src/protocol/credentials.js';
import { accountStep, AgentSide, drain, PeerSide, type ArrivalRecord, type SendRecord, type StepResult } from '../src/workloads/peers/pair-load.js';
import { startRawRelay } from '../src/workloads/peers/raw-relay.js';
import { AgentSideV2, PeerSideV2 } from '../src/workloads/peers/v2/pair-load-v2.js';
import { ANCHOR_RATE, coordinatorVerdict, cpuUsPerUpdate, KneeSearch, ladder, passes, type StepOutcome } from './coordinator-knee.js';

const DRAIN_QUIET_MS = 1000;
const DRAIN_MAX_MS = 10_000;
/** USER_HZ: /proc times are in these ticks (100 on Linux). */
const CLOCK_TICKS = 100;
const SELF = fileURLToPath(import.meta.url);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Started {
  url: string;
  credentials?: Credentials;
  /** Process id of the target (for its CPU time per step). */
  pid?: number;
  close(): Promise<void>;
}

type Request = { id: number; op: string; args?: Record<string, unknown> };

/**
 * Child roles, each in its own process, driven by small IPC requests:
 * - `relay`: the raw relay; `server`: the reference server (only with --profile: NODE_OPTIONS
 *   cannot carry --cpu-prof, so the profiled server is forked here with it in execArgv);
 * - `agents` / `peers`: the two halves of the load (one process tops out near 15k messages/s);
 *   `agents-v2` / `peers-v2` the same over the v2 protocol.
 * A child exits on disconnect, which also writes its CPU profile.
 */
async function child(role: string): Promise<void> {
  let agents: AgentSide | AgentSideV2 | undefined;
  let peers: PeerSide | PeerSideV2 | undefined;
  let started: Started | undefined;
  const handle = async (op: string, a: Record<string, unknown>): Promise<unknown> => {
    if (op === 'start' && role === 'server') {
      const { createReferenceServer } = await import('../src/server/reference-server.js');
      started = await createReferenceServer({ port: 0, agents: a.agents as number, rateLimit: -1 });
      return { url: started.url, credentials: started.credentials };
    }
    if (op === 'start' && role === 'relay') {
      started = await startRawRelay({
        agentTokens: new Map(a.tokens as [string, string][]),
        userToken: a.userToken as string,
        codec: a.codec === 'strict' ? 'strict' : 'raw',
      });
      return { url: started.url };
    }
    if (op === 'start' && role === 'agents') agents = await AgentSide.connect(a.url as string, a.credentials as Credentials, a.agents as number);
    if (op === 'start' && role === 'peers') peers = await PeerSide.connect(a.url as string, a.credentials as Credentials, a.agents as number);
    if (op === 'start' && role === 'agents-v2') agents = await AgentSideV2.connect(a.url as string, a.credentials as Credentials, a.agents as number);
    if (op === 'start' && role === 'peers-v2') peers = await PeerSideV2.connect(a.url as string, a.credentials as Credentials, a.agents as number);
    if (op === 'step') return agents?.step(a.rate as number, a.durationMs as number);
    if (op === 'count') return peers?.arrived();
    if (op === 'take') return peers?.take();
    return null;
  };
  process.on('message', (m) => {
    const { id, op, args } = m as Request;
    handle(op, args ?? {}).then(
      (result) => process.send?.({ id, ok: true, result }),
      (error: unknown) => process.send?.({ id, ok: false, message: String(error) }),
    );
  });
  process.once('disconnect', () => {
    void Promise.all([agents?.close(), peers?.close(), started?.close()]).then(() => process.exit(0));
  });
}

interface ChildHandle {
  pid: number;
  call<T>(op: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function forkChild(role: string, execArgv: string[] = []): ChildHandle {
  const proc = fork(SELF, ['--role', role], {
    execArgv: [...execArgv, '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  proc.on('message', (m) => {
    const reply = m as { id: number; ok: boolean; result?: unknown; message?: string };
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.result);
    else waiter?.reject(new Error(`${role}: ${reply.message}`));
  });
  proc.once('exit', (code) => {
    for (const w of pending.values()) w.reject(new Error(`${role} process exited (${code})`));
    pending.clear();
  });
  return {
    pid: proc.pid ?? -1,
    call: <T>(op: string, args?: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, op, args } satisfies Request);
      }),
    close: async () => {
      if (proc.connected) proc.disconnect();
      await exited;
    },
  };
}

async function startServer(agents: number, profileDir: string | undefined): Promise<Started> {
  if (!profileDir) return startReferenceServerProcess({ port: 0, agents, rateLimit: -1 });
  mkdirSync(profileDir, { recursive: true });
  const proc = forkChild('server', [...SERVER_V8_FLAGS, '--cpu-prof', `--cpu-prof-dir=${resolvePath(profileDir)}`]);
  const ready = await proc.call<{ url: string; credentials: Credentials }>('start', { agents });
  return { ...ready, pid: proc.pid, close: () => proc.close() };
}

async function startRelay(credentials: Credentials, profileDir: string | undefined, codec = 'raw'): Promise<Started> {
  // The relay gets the server process's V8 flags: like for like, only the code differs.
  const proc = forkChild('relay', [...SERVER_V8_FLAGS, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolvePath(profileDir, 'relay')}`] : [])]);
  const tokens = credentials.agents.map((a) => [a.token, a.id]);
  const ready = await proc.call<{ url: string }>('start', { tokens, userToken: credentials.userToken, codec });
  return { ...ready, pid: proc.pid, close: () => proc.close() };
}

function printStep(label: string, r: StepResult, cpu: StepCpu): boolean {
  const ok = passes(r);
  const per = (ms: number): string => (Number.isFinite(ms) && r.delivered > 0 ? ((ms * 1000) / r.delivered).toFixed(0) : '?');
  const pct = (ms: number): string => (Number.isFinite(ms) ? ((100 * ms) / cpu.wallMs).toFixed(0) : '?');
  console.log(
    `${label.padEnd(6)} offered ${String(r.rate).padStart(6)}/s  delivered ${String(r.deliveredPerSecond).padStart(6)}/s  ` +
      `p50 ${r.p50.toFixed(2)} p90 ${r.p90.toFixed(2)} p99 ${r.p99.toFixed(2)} p99.9 ${r.p999.toFixed(2)} max ${r.max.toFixed(1)} ms  ` +
      `lost ${r.lost} dup ${r.duplicated} stale ${r.outOfOrder} closes ${r.closes}  target cpu ${per(cpu.target)} µs/update  ` +
      `load cpu agents ${pct(cpu.agents)}% peers ${pct(cpu.peers)}%${ok ? '' : '  (over budget)'}`,
  );
  return ok;
}

/** One target driven by an agents process and a peers process. */
interface Side {
  label: string;
  targetPid: number;
  agents: ChildHandle;
  peers: ChildHandle;
  search: KneeSearch;
}

/** CPU ms of the target and of both load processes over one step, and the step's wall time. */
interface StepCpu {
  target: number;
  agents: number;
  peers: number;
  wallMs: number;
}

async function connectSide(
  label: string,
  target: Started,
  credentials: Credentials,
  agents: number,
  rates: number[],
  refine: number,
  protocol = 'v1',
): Promise<Side> {
  const url = target.url;
  const suffix = protocol === 'v2' ? '-v2' : '';
  const side: Side = {
    label,
    targetPid: target.pid ?? -1,
    agents: forkChild(`agents${suffix}`),
    peers: forkChild(`peers${suffix}`),
    search: new KneeSearch(rates, refine),
  };
  await side.agents.call('start', { url, credentials, agents });
  await side.peers.call('start', { url, credentials, agents });
  return side;
}

/** Runs one step on a side and prints it; returns the outcome for the knee search. */
async function step(side: Side, rate: number, durationMs: number, print = true): Promise<StepOutcome> {
  await side.peers.call('take'); // forget anything from before this step
  const pids = [side.targetPid, side.agents.pid, side.peers.pid];
  const before = pids.map(cpuMs);
  const started = performance.now();
  const sent = await side.agents.call<SendRecord>('step', { rate, durationMs });
  const endMs = await drain(() => side.peers.call<number>('count'), sent.sends.length / 3, DRAIN_QUIET_MS, DRAIN_MAX_MS);
  const arrived = await side.peers.call<ArrivalRecord>('take');
  const [target, agents, peers] = pids.map((pid, i) => cpuMs(pid) - (before[i] as number)) as [number, number, number];
  const r = accountStep(rate, sent, arrived, endMs, DRAIN_QUIET_MS);
  if (print) printStep(side.label, r, { target, agents, peers, wallMs: performance.now() - started });
  return { ...r, targetCpuMs: target };
}

/**
 * Climbs every side's ladder with the steps interleaved (one step per side per round, always in
 * the same order, so a side's retry never directly follows its failed step), so drift in the
 * machine's background load hits all sides alike. A warm-up step
 * per side (JIT, lazy module loading in the target) runs first and is not reported. A side stops
 * at its knee (second failure at one rate) or at the top of the ladder; all stop when the time
 * budget is spent.
 */
async function climb(sides: Side[], stepMs: number, budgetMs: number): Promise<void> {
  for (const side of sides) await step(side, Math.min(2000, side.search.next() ?? 1000), 2000, false);
  const deadline = performance.now() + budgetMs;
  for (;;) {
    const active = sides.filter((side) => side.search.next() !== undefined);
    if (active.length === 0) return;
    if (performance.now() > deadline) {
      for (const side of active) side.search.stop();
      console.log(`time budget of ${Math.round(budgetMs / 1000)} s spent: ${active.map((s) => s.label).join(', ')} stopped before the knee`);
      return;
    }
    for (const side of active) {
      side.search.record(await step(side, side.search.next() as number, stepMs));
    }
  }
}

async function main(): Promise<void> {
  const agents = Number(arg('agents') ?? 1000);
  const explicit = arg('rates');
  const rates = explicit
    ? explicit.split(',').map(Number)
    : ladder(Number(arg('start-rate') ?? 2000), Number(arg('factor') ?? 1.25), Number(arg('max-rate') ?? 60_000));
  const stepMs = Number(arg('step-ms') ?? 3000);
  const refine = Number(arg('refine') ?? 2);
  const budgetMs = Number(arg('max-seconds') ?? 180) * 1000;
  const only = arg('only');
  const profileDir = arg('profile');
  const protocol = arg('protocol') ?? 'v1';
  if (protocol !== 'v1' && protocol !== 'v2') throw new Error(`--protocol must be v1 or v2, got ${protocol}`);

  // The server's fixtures (tokens) are the credentials both targets use.
  const server = await startServer(agents, profileDir);
  const credentials = server.credentials;
  const sides: Side[] = [];
  let relay: Started | undefined;
  let strictRelay: Started | undefined;
  const at10k: StepOutcome[] = [];
  try {
    if (!credentials) throw new Error('the server process sent no credentials');
    if (only !== 'relay') sides.push(await connectSide('server', server, credentials, agents, rates, refine, protocol));
    if (only !== 'server') {
      relay = await startRelay(credentials, profileDir);
      sides.push(await connectSide('relay', relay, credentials, agents, rates, refine));
    }
    if (process.argv.includes('--strict-relay')) {
      // Attribution only (not in the verdict): the relay plus the server's Go-strict node codec.
      strictRelay = await startRelay(credentials, undefined, 'strict');
      sides.push(await connectSide('strict', strictRelay, credentials, agents, rates, refine));
    }
    await climb(sides, stepMs, budgetMs);
    const serverSide = sides.find((s) => s.label === 'server');
    if (serverSide) {
      at10k.push(...serverSide.search.steps.filter((s) => s.rate === ANCHOR_RATE));
      // p99_ms_at_10k for a server whose climb ended below 10,000/s: one extra step, not in its knee.
      if (at10k.length === 0) at10k.push(await step(serverSide, ANCHOR_RATE, stepMs));
    }
  } finally {
    for (const side of sides) await Promise.all([side.agents.close(), side.peers.close()]);
    await relay?.close();
    await strictRelay?.close();
    await server.close();
  }
  const search = (label: string): KneeSearch => sides.find((s) => s.label === label)?.search ?? new KneeSearch(rates);
  for (const side of sides) {
    const { search: s } = side;
    const end =
      s.outcome === 'knee'
        ? `knee ${s.knee}/s (failed twice at ${s.lastRate}/s)`
        : s.outcome === 'exhausted'
          ? `no knee below ${s.lastRate}/s: raise --max-rate`
          : `no knee: stopped at ${s.lastRate}/s (time budget)`;
    console.log(`${side.label.padEnd(6)} ${end}; target CPU ${cpuUsPerUpdate(s.steps, new Set(rates)).toFixed(1)} µs per delivered update over all its steps`);
  }
  console.log(JSON.stringify(coordinatorVerdict(protocol, search('server'), search('relay'), at10k)));
}

const role = arg('role');
if (role) {
  void child(role);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
