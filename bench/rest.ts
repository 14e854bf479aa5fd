/**
 * bench:rest — fleetsim's REST workload against wrk on the same endpoint, connections and time.
 *
 *   npm run bench:rest -- [--connections 50] [--duration 10] [--rounds 4] [--agents 50] [--warmup 3]
 *
 * One embedded reference server runs in its own process (rate limit off). In one run, after a
 * short warm-up of every tool (JIT-warm server and client), `GET /api/v2/workspaceagents/{id}`
 * (user token, rotating through the agents) is driven alternately by fleetsim's REST workload
 * (autocannon + our per-request hooks + the real recorder) and by wrk (1 thread, a Lua script
 * rotating through the same ids), `--rounds` times each, `duration / rounds` seconds a turn, so
 * both tools see the same background load; each tool's figure is its requests over its time.
 * A third turn each round runs bare autocannon (one fixed request, no hooks, no recorder): the
 * fleetsim/autocannon ratio is the cost of our per-request hooks, the autocannon/wrk ratio the
 * cost of autocannon's JS client itself. CPU µs per request of this process is printed for
 * fleetsim and bare autocannon: under CPU contention from other processes it is the steadier
 * figure (throughput then follows each tool's CPU cost rather than the server's ceiling). Both are bound by the single-threaded node server (~12k req/s
 * on this machine, docs/benchmarks.md#rest-ceilings), not by the tool: the ratio measures how much of
 * that ceiling our client-side overhead costs. The last stdout line is:
 *   {"bench":"rest","fleetsim_rps":…,"wrk_rps":…,"ratio":…}
 * wrk is required: `apt-get update && apt-get install -y wrk` (Debian/Ubuntu).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/log.js';
import { createRng } from '../src/core/rng.js';
import { METRIC } from '../src/metrics/names.js';
import { createRecorder } from '../src/metrics/recorder.js';
import type { MetricSink } from '../src/metrics/sink.js';
import type { Credentials } from '../src/protocol/credentials.js';
import { sectionConfig } from '../src/workloads/kind.js';
import { restKind } from '../src/workloads/rest/kind.js';
import { createRestWorkload } from '../src/workloads/rest/rest-workload.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    agents: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '4' },
  },
});
const connections = Number(values.connections);
const durationS = Number(values.duration);
const agents = Number(values.agents);
const warmupS = Number(values.warmup);
const rounds = Math.max(1, Math.floor(Number(values.rounds)));
const turnS = durationS / rounds;
const log = (line: string): void => void process.stderr.write(`[bench:rest] ${line}\n`);

const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
if (probe.error) {
  process.stderr.write(
    '[bench:rest] wrk is not installed (needed as the reference load tool).\n' +
      '[bench:rest] Install it with: apt-get update && apt-get install -y wrk   (Debian/Ubuntu; macOS: brew install wrk)\n',
  );
  process.exit(1);
}

/** Runs wrk (1 thread) rotating GET /{id} over the agents; returns its Requests/sec. */
async function runWrk(url: string, credentials: Credentials, seconds: number, dir: string): Promise<number> {
  const script = join(dir, 'rotate.lua');
  const ids = credentials.agents.map((a) => `"${a.id}"`).join(',');
  writeFileSync(
    script,
    `local ids = {${ids}}\nlocal i = 0\n` +
      `wrk.headers["Coder-Session-Token"] = "${credentials.userToken}"\n` +
      `request = function()\n  i = i % #ids + 1\n  return wrk.format("GET", "/api/v2/workspaceagents/" .. ids[i])\nend\n` +
      // Non-2xx answers would make the comparison meaningless: fail loudly instead.
      `done = function(summary, latency, requests)\n  if summary.errors.status > 0 then io.stderr:write("non-2xx: " .. summary.errors.status .. "\\n") end\nend\n`,
    { mode: 0o600 },
  );
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '-s', script, url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const match = /Requests\/sec:\s*([\d.]+)/.exec(out);
  if (code !== 0 || !match) throw new Error(`wrk failed (exit ${code}):\n${out}`);
  return Number(match[1]);
}

/** Bare autocannon on one fixed `GET /{id}`: the client's own ceiling, without our hooks. */
async function runAutocannon(url: string, credentials: Credentials, seconds: number): Promise<number> {
  const id = credentials.agents[0]!.id;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/api/v2/workspaceagents/${id}`,
    headers: { 'Coder-Session-Token': credentials.userToken },
    connections,
    duration: seconds,
  });
  const cpu = process.cpuUsage(cpuBefore);
  lastBareCpuUsPerRequest = result.requests.total > 0 ? (cpu.user + cpu.system) / result.requests.total : 0;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`bare autocannon saw ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result.requests.total / result.duration;
}

/** CPU µs per request of this process during the last fleetsim / bare autocannon turn. */
let lastCpuUsPerRequest = 0;
let lastBareCpuUsPerRequest = 0;

/** Runs fleetsim's REST workload for `seconds`; returns completed requests per second. */
async function runFleetsim(url: string, credentials: Credentials, seconds: number): Promise<number> {
  const clock = systemClock();
  const recorder = createRecorder({ clock });
  let first = 0;
  let last = 0;
  let count = 0;
  let errors = 0;
  // Time the window between the first and the last answer, as wrk does.
  const sink: MetricSink = {
    trend(name, ms, tags) {
      recorder.trend(name, ms, tags);
      if (name !== METRIC.request) return;
      last = clock.now();
      if (count++ === 0) first = last;
    },
    count(name, n, tags) {
      recorder.count(name, n, tags);
      if (name === METRIC.error) errors += n;
    },
    gauge: (name, v, tags) => recorder.gauge(name, v, tags),
    rate: (name, ok, tags) => recorder.rate(name, ok, tags),
  };
  const workload = createRestWorkload(sectionConfig(restKind, { mix: { 'GET /{id}': 1 }, connections }, { durationMs: seconds * 1000 }));
  const cpuBefore = process.cpuUsage();
  await workload.run({
    signal: new AbortController().signal,
    clock,
    metrics: sink,
    target: { url, embedded: true },
    credentials,
    rng: createRng('bench-rest'),
    log: silentLogger,
  });
  const cpu = process.cpuUsage(cpuBefore);
  lastCpuUsPerRequest = count > 0 ? (cpu.user + cpu.system) / count : 0;
  if (errors > 0) throw new Error(`fleetsim saw ${errors} failed requests; the comparison would be meaningless`);
  return count > 1 ? ((count - 1) * 1000) / (last - first) : 0;
}

const { startReferenceServerProcess } = await import('../src/server/server-process.js');
log(`starting the reference server (own process, ${agents} agents, rate limit off)`);
const server = await startReferenceServerProcess({ agents, seed: 'bench-rest', rateLimit: -1 });
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-rest-'));
let result: Record<string, number> | undefined;
try {
  if (warmupS > 0) {
    // Warm both ends: the server's JIT, and ours (the first seconds of a fleetsim run in a fresh
    // process cost up to twice the CPU per request of later ones).
    log(`warm-up: wrk, fleetsim and bare autocannon, ${warmupS}s each`);
    await runWrk(server.url, server.credentials, warmupS, dir);
    await runFleetsim(server.url, server.credentials, warmupS);
    await runAutocannon(server.url, server.credentials, warmupS);
  }
  let fleetsimSum = 0;
  let wrkSum = 0;
  let bareSum = 0;
  let cpuSum = 0;
  let bareCpuSum = 0;
  const turns = {
    fleetsim: async (round: number) => {
      const f = await runFleetsim(server.url, server.credentials, turnS);
      cpuSum += lastCpuUsPerRequest;
      fleetsimSum += f;
      log(`round ${round}/${rounds}: fleetsim ${connections} connections ${turnS}s: ${f.toFixed(0)} req/s (${lastCpuUsPerRequest.toFixed(1)} µs CPU/request)`);
    },
    wrk: async (round: number) => {
      const w = await runWrk(server.url, server.credentials, turnS, dir);
      wrkSum += w;
      log(`round ${round}/${rounds}: wrk ${connections} connections 1 thread ${turnS}s: ${w.toFixed(0)} req/s`);
    },
    bare: async (round: number) => {
      const b = await runAutocannon(server.url, server.credentials, turnS);
      bareSum += b;
      bareCpuSum += lastBareCpuUsPerRequest;
      log(
        `round ${round}/${rounds}: bare autocannon ${connections} connections ${turnS}s: ${b.toFixed(0)} req/s (${lastBareCpuUsPerRequest.toFixed(1)} µs CPU/request)`,
      );
    },
  };
  // A-B-C, C-B-A, …: no tool always runs first (JIT, background load drifting over the run).
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['fleetsim', 'wrk', 'bare'] as const) : (['bare', 'wrk', 'fleetsim'] as const);
    for (const tool of order) await turns[tool](round);
  }
  const fleetsim = fleetsimSum / rounds;
  const wrk = wrkSum / rounds;
  const bare = bareSum / rounds;
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  result = {
    fleetsim_rps: Math.round(fleetsim),
    wrk_rps: Math.round(wrk),
    ratio: r3(fleetsim / wrk),
    autocannon_rps: Math.round(bare),
    hooks_ratio: r3(fleetsim / bare),
    fleetsim_cpu_us_per_req: Math.round((cpuSum / rounds) * 10) / 10,
    autocannon_cpu_us_per_req: Math.round((bareCpuSum / rounds) * 10) / 10,
  };
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
}
// Who is the bottleneck: the server serves at least what wrk got; a tool well below that is
// bound by its own CPU (autocannon's JS client needs several times wrk's CPU per request, which
// shows most when other processes compete for the 2 cores).
if (result) {
  const bound =
    (result.ratio ?? 0) >= 0.9 ? 'both tools are bound by the one-process node server' : 'fleetsim is client-bound here: the server served wrk faster';
  log(
    `${bound} (wrk ${result.wrk_rps} req/s; bare autocannon reaches ${result.autocannon_rps}, fleetsim ${result.fleetsim_rps} = ${result.hooks_ratio} of bare autocannon)`,
  );
}
process.stdout.write(`${JSON.stringify({ bench: 'rest', ...result })}\n`);
