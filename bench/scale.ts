/**
 * bench:scale — a fleet larger than one process can hold (open files, docs/benchmarks.md), run
 * as `fleetsim run --workers N`: each worker process holds its slice of the agents against its
 * own embedded server process (its own port, so no source/destination pair runs out of ports).
 *
 *   npm run bench:scale -- [--agents 38000] [--workers 2] [--hold 60] [--ramp-timeout 150]
 *
 * First a raw baseline: plain node + ws holding agents/workers idle coordinate sockets
 * (bench/raw-idle-client.mjs) against one embedded server. Then the fleet (v1, `agents.http:
 * shared`, everything wanted at second 0), held `--hold` s once every worker holds its slice,
 * then stopped with SIGINT (the run lasts at most ramp-timeout + hold). RSS is read from /proc:
 * each process's lowest sample while holding, and its sample just as its run started (for the
 * per-agent growth). The merged report's counts are checked against the servers' own
 * (`server-counters.json` of each worker). The last stdout line is one JSON object (fields in
 * docs/benchmarks.md, "bench:scale"). Loopback only; every child is killed on the way out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../src/metrics/summary-types.js';
import { SERVER_COUNTERS_FILE, type ServerCountersFile } from '../src/runner/server-counters-file.js';
import { startReferenceServerProcess } from '../src/server/server-process.js';
import { round } from './fleet-figures.js';
import { compareCounts, lowest, rampSeconds } from './scale-figures.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '38000' },
    workers: { type: 'string', default: '2' },
    hold: { type: 'string', default: '60' },
    'ramp-timeout': { type: 'string', default: '150' },
  },
});
const agents = Number(values.agents);
const workers = Number(values.workers);
const holdS = Number(values.hold);
const rampTimeoutS = Number(values['ramp-timeout']);
const perWorker = Math.ceil(agents / workers);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-scale-'));
const log = (line: string): void => void process.stderr.write(`[bench:scale] ${line}\n`);
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Every process this bench starts (or that its children start), killed on every way out. Each
// is kept with its start time, so a pid the kernel has since given to another process is spared.
const pids = new Map<number, string | undefined>();
function startTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  } catch {
    return undefined;
  }
}
const track = (pid: number | undefined): void => {
  if (pid !== undefined && pid > 0 && !pids.has(pid)) pids.set(pid, startTime(pid));
};
const killAll = (): void => {
  for (const [pid, started] of pids) {
    if (started === undefined || startTime(pid) !== started) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

/** VmRSS of a process in KB, undefined when it is gone. */
function rssKb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Open descriptors of a process (its sockets, mostly). */
function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Lines of a child's stream, one callback per line. */
function onLines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) each(line);
  });
}

const sum = (list: readonly (number | undefined)[]): number => list.reduce<number>((n, v) => n + (v ?? 0), 0);

// ---------------------------------------------------------------------------------------------
// Raw baseline: one bare process holding one worker's share of idle sockets.

interface RawFigures {
  connected: number;
  failed: number;
  beforeKb: number;
  afterKb: number;
  serverKb: number;
}

async function rawBaseline(): Promise<RawFigures> {
  log(`raw baseline: ${perWorker} idle ws sockets from plain node + ws (load average ${loadAverage()})`);
  const server = await startReferenceServerProcess({ agents: perWorker, seed: 'bench-scale-raw', rateLimit: -1, reportIntervalMs: 600_000, identity: false });
  track(server.pid);
  const credentialsPath = join(dir, 'raw-credentials.json');
  writeFileSync(credentialsPath, JSON.stringify(server.credentials), { mode: 0o600 });
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [join(root, 'bench/raw-idle-client.mjs'), server.url, credentialsPath, String(perWorker), '256', '4'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    track(child.pid);
    const lines: string[] = [];
    let wake = (): void => undefined;
    onLines(child.stdout!, (line) => {
      lines.push(line);
      wake();
    });
    const waitFor = async (prefix: string): Promise<string> => {
      for (;;) {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line) return line;
        if (child!.exitCode !== null) throw new Error(`the raw client exited (${child!.exitCode}) before "${prefix}"`);
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), pause(1000)]);
      }
    };
    await waitFor('loaded');
    await pause(500);
    const beforeKb = rssKb(child.pid!) ?? 0;
    const [, connected, failed, ms] = (await waitFor('open ')).split(' ').map(Number) as [number, number, number, number];
    log(`raw: ${connected} open, ${failed} failed in ${ms} ms`);
    const samples: number[] = [];
    const serverSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pause(1000);
      samples.push(rssKb(child.pid!) ?? Number.NaN);
      serverSamples.push(rssKb(server.pid) ?? Number.NaN);
    }
    return { connected, failed, beforeKb, afterKb: lowest(samples) ?? 0, serverKb: lowest(serverSamples) ?? 0 };
  } finally {
    child?.stdin?.end();
    if (child && child.exitCode === null) await Promise.race([new Promise((resolve) => child!.once('exit', resolve)), pause(5000)]);
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The fleet: fleetsim run --workers N.

interface WorkerProc {
  pid: number;
  startRssKb?: number;
  startFds?: number;
  serverPid?: number;
  rss: number[];
  serverRss: number[];
}

interface FleetFigures {
  reportDir: string;
  exitCode: number | null;
  workers: WorkerProc[];
  heldS: number;
}

async function fleet(): Promise<FleetFigures> {
  const scenarioPath = join(dir, 'scale.json');
  const scenario = {
    name: 'bench-scale',
    description: `${agents} agents over ${workers} local workers, each with its own embedded server`,
    seed: 'bench-scale',
    duration: `${rampTimeoutS + holdS}s`,
    server: { rateLimit: -1, reportInterval: '10m' },
    agents: { count: agents, http: 'shared' },
  };
  writeFileSync(scenarioPath, JSON.stringify(scenario));
  log(`fleet: ${agents} agents over ${workers} workers (load average ${loadAverage()})`);
  const args = [join(root, 'dist/bin.js'), 'run', scenarioPath, '--workers', String(workers), '--out', join(dir, 'out'), '--no-live', '--log-level', 'info'];
  const run = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  track(run.pid);
  const procs = new Map<number, WorkerProc>();
  let reportDir = '';
  onLines(run.stdout!, (line) => {
    const m = /^report: (.+)$/.exec(line.trim());
    if (m) reportDir = m[1]!;
  });
  onLines(run.stderr!, (line) => {
    process.stderr.write(`${line}\n`);
    const started = /worker (\d+)\/\d+ started \(pid (\d+)\)/.exec(line);
    if (started) {
      const pid = Number(started[2]);
      procs.set(Number(started[1]), { pid, rss: [], serverRss: [] });
      track(pid);
    }
    const running = /\[worker (\d+)\].* run \S+ started/.exec(line);
    const w = running ? procs.get(Number(running[1])) : undefined;
    if (w) {
      // Its run starts now: RSS with the runner and its server up, before the agents.
      w.startRssKb = rssKb(w.pid);
      w.startFds = openFds(w.pid);
      w.serverPid = childrenOf(w.pid)[0];
      track(w.serverPid);
    }
  });
  const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
  let done = false;
  void exited.then(() => (done = true));

  // Ramp: every worker holds its share of sockets (descriptors; the report has the exact ramp).
  const share = Math.floor(agents / workers);
  const deadline = Date.now() + (rampTimeoutS + 60) * 1000;
  const allUp = (): boolean => procs.size === workers && [...procs.values()].every((w) => w.startFds !== undefined && openFds(w.pid) >= w.startFds + share);
  while (!done && !allUp() && Date.now() < deadline) await pause(1000);
  let heldS = 0;
  if (!done && allUp()) {
    log(`every worker holds its share: holding ${holdS} s (load average ${loadAverage()})`);
    const holdStart = Date.now();
    while (!done && Date.now() - holdStart < holdS * 1000) {
      await pause(2000);
      for (const w of procs.values()) {
        w.rss.push(rssKb(w.pid) ?? Number.NaN);
        if (w.serverPid) w.serverRss.push(rssKb(w.serverPid) ?? Number.NaN);
      }
    }
    heldS = Math.round((Date.now() - holdStart) / 1000);
    log(`stopping the run (SIGINT), load average ${loadAverage()}`);
    run.kill('SIGINT');
  } else if (!done) {
    log('the workers did not reach their share in time; the run ends at its duration');
  }
  const exitCode = await exited;
  if (!reportDir) throw new Error(`fleetsim run --workers printed no report folder (exit ${exitCode})`);
  return { reportDir, exitCode, workers: [...procs.values()], heldS };
}

function findFiles(base: string, name: string): string[] {
  return (readdirSync(base, { recursive: true }) as string[]).filter((p) => p.endsWith(name)).map((p) => join(base, p));
}

try {
  const raw = await rawBaseline();
  const run = await fleet();
  const summary = JSON.parse(readFileSync(join(run.reportDir, 'summary.json'), 'utf8')) as RunSummary;
  const serverFiles = findFiles(run.reportDir, SERVER_COUNTERS_FILE);
  const servers = serverFiles.map((path) => (JSON.parse(readFileSync(path, 'utf8')) as ServerCountersFile).totals);
  const rows = compareCounts(summary, servers);
  for (const row of rows) log(`count ${row.equal ? 'ok  ' : 'DIFF'} ${row.what}: report ${row.report}, servers ${row.server}`);
  const countsMatch = servers.length === workers && rows.every((r) => r.equal);
  if (servers.length !== workers) log(`found ${servers.length} server-counters.json files for ${workers} workers`);

  const connected = summary.agents.peakConnected;
  const ramp = rampSeconds(summary.timeSeries, agents);
  const workerKb = sum(run.workers.map((w) => lowest(w.rss.filter(Number.isFinite))));
  const workerStartKb = sum(run.workers.map((w) => w.startRssKb));
  const serverKb = sum(run.workers.map((w) => lowest(w.serverRss.filter(Number.isFinite))));
  // Without a hold there are no hold samples: the memory figures are then null, not 0.
  const held = run.heldS > 0;
  const perAgent = (kb: number): number | null => (held ? round(kb / Math.max(1, connected)) : null);
  const perConn = (kb: number): number => round(kb / Math.max(1, raw.connected));
  log(
    `outcome ${summary.outcome} (exit ${run.exitCode}); connected at once ${connected}, at the end ${summary.agents.connected}; ` +
      `held ${run.heldS} s; worker RSS ${workerKb} KB (at run start ${workerStartKb} KB), servers ${serverKb} KB; raw client ${raw.afterKb} KB ` +
      `(before sockets ${raw.beforeKb} KB), raw server ${raw.serverKb} KB; load average ${loadAverage()}`,
  );
  const rssPerAgent = perAgent(workerKb);
  const rawPerConn = perConn(raw.afterKb);
  const result = {
    bench: 'scale',
    agents: connected,
    workers,
    rss_kb_per_agent: rssPerAgent,
    raw_rss_kb_per_conn: rawPerConn,
    rss_ratio: rssPerAgent === null ? null : round(rssPerAgent / Math.max(0.01, rawPerConn)),
    rss_growth_kb_per_agent: perAgent(workerKb - workerStartKb),
    raw_rss_growth_kb_per_conn: perConn(raw.afterKb - raw.beforeKb),
    server_rss_kb_per_agent: perAgent(serverKb),
    raw_server_rss_kb_per_conn: perConn(raw.serverKb),
    ramp_agents_per_s: ramp ? Math.round(agents / ramp) : null,
    ramp_s: ramp ?? null,
    held_s: run.heldS,
    agent_errors: summary.totals.errors,
    raw_errors: raw.failed,
    counts_match: countsMatch,
    requested: agents,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
