/**
 * bench:startup — what starting fleetsim costs, against a bare `node -e 0`.
 *
 *   npm run bench:startup -- [--runs 7] [--agents 20] [--idle 8] [--bin dist/bin.js]
 *
 * Three figures, each the median of `--runs` fresh processes:
 * 1. `fleetsim --version`: wall time (spawn to exit, measured here) and peak RSS (VmHWM, from
 *    GNU time's "%M" when /usr/bin/time exists, else sampled from /proc/<pid>/status), divided
 *    by the same figures of `node -e 0`. Goals: ≤ 3× the time and ≤ 1.8× the memory.
 * 2. `fleetsim plan <json scenario>`: the same figures for a command that loads and validates a
 *    scenario (zod, the workload sections) but starts nothing.
 * 3. An idle run: `fleetsim run` of a scenario with `--agents` agents and no traffic beyond
 *    their connections (10 min report interval, no faults, no REST), `--idle` seconds long.
 *    The peak RSS of the harness process (goal < 110 MB) and, separately, of the embedded
 *    server's child process, sampled from /proc every 50 ms (VmHWM only grows, so the last
 *    sample before exit is the peak up to that moment).
 *
 * `--bin` is the launcher to measure (default dist/bin.js, what `npm start` and the `fleetsim`
 * bin run; `bin/fleetsim.js` is the same entry through the installed launcher). Linux only
 * (/proc). The last stdout line is one JSON object:
 *   {"bench":"startup","version_ms":…,"version_time_ratio":…,"version_rss_mb":…,"version_rss_ratio":…,"plan_ms":…,"plan_rss_mb":…,"idle_harness_rss_mb":…,"idle_server_rss_mb":…,…}
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    agents: { type: 'string', default: '20' },
    idle: { type: 'string', default: '8' },
    bin: { type: 'string', default: 'dist/bin.js' },
  },
});
const runs = Math.max(1, Math.floor(Number(values.runs)));
const agents = Math.max(1, Math.floor(Number(values.agents)));
const idleS = Math.max(2, Number(values.idle));
const bin = resolve(ROOT, values.bin);
const log = (line: string): void => void process.stderr.write(`[bench:startup] ${line}\n`);
const GNU_TIME = '/usr/bin/time';
const useGnuTime = existsSync(GNU_TIME);

if (!existsSync(bin)) {
  log(`${values.bin} does not exist; build first: npm run build`);
  process.exit(1);
}

interface Sample {
  ms: number;
  rssKb: number;
  code: number | null;
}

/** Peak RSS so far (VmHWM, kB) of a live process, or undefined once it has gone. */
function vmHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The direct children of a process (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN), else by scanning /proc. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs `node args` once; wall time from spawn to exit, peak RSS of that process alone. */
function measure(args: string[], dir: string): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const timeFile = join(dir, 'time.txt');
    const [command, argv] = useGnuTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...args]] : [process.execPath, args];
    const started = performance.now();
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let sampled = 0;
    const timer = useGnuTime ? undefined : setInterval(() => (sampled = Math.max(sampled, vmHwmKb(child.pid!) ?? 0)), 2);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      clearInterval(timer);
      if (code !== 0) log(`node ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 500)}`);
      const rssKb = useGnuTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : sampled;
      resolvePromise({ ms, rssKb, code });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Alternates the commands run by run, so background load hits each about equally. */
async function medians(commands: Record<string, string[]>, dir: string): Promise<Record<string, { ms: number; rssKb: number }>> {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  // One unmeasured round first: the OS file cache, not fleetsim, decides the first start.
  for (const args of Object.values(commands)) await measure(args, dir);
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(commands)) samples[name]!.push(await measure(args, dir));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, list]) => {
      if (list.some((s) => s.code !== 0)) throw new Error(`${name} failed (see above)`);
      return [name, { ms: median(list.map((s) => s.ms)), rssKb: median(list.map((s) => s.rssKb)) }];
    }),
  );
}

/** One idle run: the harness's and the server child's peak RSS (kB). */
async function idleRun(dir: string): Promise<{ harnessKb: number; serverKb: number; code: number | null }> {
  const scenario = join(dir, 'idle.json');
  writeFileSync(
    scenario,
    JSON.stringify({
      name: 'startup-idle',
      seed: 'startup',
      duration: `${idleS}s`,
      server: { reportInterval: '10m', rateLimit: -1 },
      agents: { count: agents, nodeUpdateInterval: '10m', apps: { checkInterval: '10m' } },
    }),
  );
  const child = spawn(process.execPath, [bin, 'run', scenario, '--out', join(dir, 'reports'), '--log-level', 'warn', '--allow-saturated'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let harnessKb = 0;
  const serverKb = new Map<number, number>();
  const timer = setInterval(() => {
    harnessKb = Math.max(harnessKb, vmHwmKb(child.pid!) ?? 0);
    for (const pid of childPids(child.pid!)) serverKb.set(pid, Math.max(serverKb.get(pid) ?? 0, vmHwmKb(pid) ?? 0));
  }, 50);
  const code = await new Promise<number | null>((done, reject) => {
    child.on('error', reject);
    child.on('close', done);
  });
  clearInterval(timer);
  if (code !== 0) log(`idle run exited ${code}: ${stderr.trim().slice(0, 500)}`);
  return { harnessKb, serverKb: Math.max(0, ...serverKb.values()), code };
}

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-startup-'));
try {
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify({ name: 'startup-plan', duration: '1m', agents: { count: 100, rampUp: '10s' } }));
  log(`${runs} runs each of node -e 0, ${values.bin} --version, ${values.bin} plan <json> (peak RSS via ${useGnuTime ? GNU_TIME : '/proc sampling'})`);
  const m = await medians({ node: ['-e', '0'], version: [bin, '--version'], plan: [bin, 'plan', planFile] }, dir);
  const mb = (kb: number): number => Math.round(kb / 102.4) / 10;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  for (const [name, s] of Object.entries(m)) log(`${name.padEnd(8)} ${s.ms.toFixed(0).padStart(5)} ms  ${mb(s.rssKb).toFixed(1).padStart(6)} MB`);
  const versionTime = m.version!.ms / m.node!.ms;
  const versionRss = m.version!.rssKb / m.node!.rssKb;
  log(`--version: ${r2(versionTime)}× the time (goal ≤ 3), ${r2(versionRss)}× the memory (goal ≤ 1.8) of node -e 0`);

  log(`idle run: ${agents} agents for ${idleS}s`);
  const idle = await idleRun(dir);
  log(`idle run: harness peak ${mb(idle.harnessKb)} MB (goal < 110), server child peak ${mb(idle.serverKb)} MB`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'startup',
      bin: values.bin,
      runs,
      node_ms: Math.round(m.node!.ms),
      node_rss_mb: mb(m.node!.rssKb),
      version_ms: Math.round(m.version!.ms),
      version_rss_mb: mb(m.version!.rssKb),
      version_time_ratio: r2(versionTime),
      version_rss_ratio: r2(versionRss),
      plan_ms: Math.round(m.plan!.ms),
      plan_rss_mb: mb(m.plan!.rssKb),
      idle_agents: agents,
      idle_exit: idle.code,
      idle_harness_rss_mb: mb(idle.harnessKb),
      idle_server_rss_mb: mb(idle.serverKb),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
