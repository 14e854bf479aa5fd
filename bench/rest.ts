/**
 * bench:rest — fleetsim's REST workload against wrk on the same endpoint, connections and time.
 *
 *   npm run bench:rest -- [--connections 50] [--duration 10] [--rounds 2] [--agents 50] [--warmup 2]
 *
 * One embedded reference server runs in its own process (rate limit off). In one run, after a
 * short wrk warm-up (so both tools meet a JIT-warm server), `GET /api/v2/workspaceagents/{id}`
 * (user token, rotating through the agents) is driven alternately by fleetsim's REST workload
 * (autocannon + our per-request hooks + the real recorder) and by wrk (1 thread, a Lua script
 * rotating through the same ids), `--rounds` times each, `duration / rounds` seconds a turn, so
 * both tools see the same background load; each tool's figure is its requests over its time. Both are bound by the single-threaded node server (~12k req/s
 * on this machine, research/machine-facts.md), not by the tool: the ratio measures how much of
 * that ceiling our client-side overhead costs. The last stdout line is:
 *   {"bench":"rest","fleetsim_rps":…,"wrk_rps":…,"ratio":…}
 * wrk is required: `apt-get update && apt-get install -y wrk` (Debian/Ubuntu).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/log.js';
import { createRng } from '../src/core/rng.js';
import { METRIC } from '../src/metrics/names.js';
import { createRecorder } from '../src/metrics/recorder.js';
import type { MetricSink } from '../src/metrics/sink.js';
import type { Credentials } from '../src/protocol/credentials.js';
import { createRestWorkload } from '../src/workloads/rest/rest-workload.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    agents: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
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
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const match = /Requests\/sec:\s*([\d.]+)/.exec(out);
  if (code !== 0 || !match) throw new Error(`wrk failed (exit ${code}):\n${out}`);
  return Number(match[1]);
}

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
  const workload = createRestWorkload({ mix: { 'GET /{id}': 1 }, model: 'closed', connections, pipelining: 1, durationMs: seconds * 1000, startAfterMs: 0 });
  await workload.run({
    signal: new AbortController().signal,
    clock,
    metrics: sink,
    target: { url, embedded: true },
    credentials,
    rng: createRng('bench-rest'),
    log: silentLogger,
  });
  if (errors > 0) throw new Error(`fleetsim saw ${errors} failed requests; the comparison would be meaningless`);
  return count > 1 ? ((count - 1) * 1000) / (last - first) : 0;
}

const { startReferenceServerProcess } = await import('../src/server/server-process.js');
log(`starting the reference server (own process, ${agents} agents, rate limit off)`);
const server = await startReferenceServerProcess({ agents, seed: 'bench-rest', rateLimit: -1 });
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-rest-'));
let result: { fleetsim_rps: number; wrk_rps: number; ratio: number } | undefined;
try {
  if (warmupS > 0) {
    log(`warm-up: wrk ${warmupS}s`);
    await runWrk(server.url, server.credentials, warmupS, dir);
  }
  let fleetsimSum = 0;
  let wrkSum = 0;
  for (let round = 1; round <= rounds; round++) {
    const f = await runFleetsim(server.url, server.credentials, turnS);
    log(`round ${round}/${rounds}: fleetsim ${connections} connections ${turnS}s: ${f.toFixed(0)} req/s`);
    const w = await runWrk(server.url, server.credentials, turnS, dir);
    log(`round ${round}/${rounds}: wrk ${connections} connections 1 thread ${turnS}s: ${w.toFixed(0)} req/s`);
    fleetsimSum += f;
    wrkSum += w;
  }
  const fleetsim = fleetsimSum / rounds;
  const wrk = wrkSum / rounds;
  result = { fleetsim_rps: Math.round(fleetsim), wrk_rps: Math.round(wrk), ratio: Math.round((fleetsim / wrk) * 1000) / 1000 };
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
}
log('both tools are bound by the one-core node server (~12k req/s here), not by their own ceilings');
process.stdout.write(`${JSON.stringify({ bench: 'rest', ...result })}\n`);
