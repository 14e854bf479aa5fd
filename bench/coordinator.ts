/**
 * Coordinator throughput benchmark (issue 4): `npm run bench:coordinator [-- options]`.
 *
 * One run drives, each in its own process, (1) the embedded reference server's coordinator
 * (rate limit off) and (2) a bare `ws` relay with the same fan-out that forwards bytes untouched,
 * with the same load: 1,000 agents × 1 peer, agent updates at increasing overall rates. Per step:
 * delivered rate, propagation percentiles (HDR, from the intended send time), lost/dup/stale.
 * The last stdout line is the JSON verdict:
 *   {"bench":"coordinator","updates_per_s":..,"raw_updates_per_s":..,"ratio":..,"p99_ms_at_10k":..,"lost":..}
 * `updates_per_s` = highest delivered rate of a step with p99 ≤ 50 ms and 0 lost (raw_…: the relay).
 *
 * Options: --agents 1000 --rates 1000,2000,5000,10000,15000,20000 --step-ms 4000 --only server|relay
 *          --profile DIR (writes the server process's --cpu-prof profile into DIR)
 * Loopback only; bounded: every step is count-bounded, the drain is capped at 10 s.
 */
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReferenceServerProcess } from '../src/server/server-process.js';
import type { Credentials } from '../src/protocol/credentials.js';
import { PairLoad, type StepResult } from '../src/workloads/peers/pair-load.js';
import { startRawRelay } from '../src/workloads/peers/raw-relay.js';

const P99_BUDGET_MS = 50;
const SELF = fileURLToPath(import.meta.url);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Started {
  url: string;
  credentials?: Credentials;
  close(): Promise<void>;
}

/**
 * Child roles, each in its own process: `relay` (the raw relay; token map in via IPC) and
 * `server` (the reference server, only used with --profile: NODE_OPTIONS cannot carry
 * --cpu-prof, so the profiled server is forked here with it in execArgv). Exits on disconnect,
 * which also writes the CPU profile.
 */
async function child(role: string): Promise<void> {
  const init = await new Promise<{ tokens: [string, string][]; userToken: string; agents: number }>((resolve) =>
    process.once('message', (m) => resolve(m as { tokens: [string, string][]; userToken: string; agents: number })),
  );
  let started: Started;
  if (role === 'server') {
    const { createReferenceServer } = await import('../src/server/reference-server.js');
    started = await createReferenceServer({ port: 0, agents: init.agents, rateLimit: -1 });
  } else {
    started = await startRawRelay({ agentTokens: new Map(init.tokens), userToken: init.userToken });
  }
  process.send?.({ url: started.url, credentials: started.credentials });
  process.once('disconnect', () => void started.close().then(() => process.exit(0)));
}

async function startChild(role: 'relay' | 'server', init: object, execArgv: string[] = []): Promise<Started> {
  const proc = fork(SELF, ['--role', role], {
    execArgv: [...execArgv, '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.send(init);
  const ready = await new Promise<{ url: string; credentials?: Credentials }>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as { url: string; credentials?: Credentials }));
    proc.once('exit', (code) => reject(new Error(`${role} process exited (${code})`)));
  });
  return {
    ...ready,
    close: async () => {
      proc.disconnect();
      await exited;
    },
  };
}

async function startServer(agents: number, profileDir: string | undefined): Promise<Started> {
  if (!profileDir) return startReferenceServerProcess({ port: 0, agents, rateLimit: -1 });
  mkdirSync(profileDir, { recursive: true });
  return startChild('server', { agents }, ['--cpu-prof', `--cpu-prof-dir=${resolvePath(profileDir)}`]);
}

function printStep(label: string, r: StepResult): boolean {
  const ok = r.p99 <= P99_BUDGET_MS && r.lost === 0;
  console.log(
    `${label.padEnd(6)} offered ${String(r.rate).padStart(6)}/s  delivered ${String(r.deliveredPerSecond).padStart(6)}/s  ` +
      `p50 ${r.p50.toFixed(2)} p90 ${r.p90.toFixed(2)} p99 ${r.p99.toFixed(2)} p99.9 ${r.p999.toFixed(2)} max ${r.max.toFixed(1)} ms  ` +
      `lost ${r.lost} dup ${r.duplicated} stale ${r.outOfOrder} closes ${r.closes}${ok ? '' : '  (over budget)'}`,
  );
  return ok;
}

interface Side {
  label: string;
  load: PairLoad;
  steps: StepResult[];
  done: boolean;
}

/**
 * Runs the rates on both targets interleaved (server step, relay step, next rate), so drift in
 * the machine's background load hits both alike. A warm-up step (JIT, lazy module loading in the
 * target) is run first and not reported. Past 10k (needed for p99_ms_at_10k) a side stops
 * escalating after its first step over budget.
 */
async function runInterleaved(sides: Side[], rates: number[], stepMs: number): Promise<void> {
  for (const side of sides) await side.load.step(Math.min(2000, rates[0] ?? 1000), 2000);
  for (const rate of rates) {
    for (const side of sides) {
      if (side.done) continue;
      const r = await side.load.step(rate, stepMs);
      side.steps.push(r);
      if (!printStep(side.label, r) && rate >= 10_000) side.done = true;
    }
  }
}

const best = (steps: StepResult[]): number =>
  steps.filter((s) => s.p99 <= P99_BUDGET_MS && s.lost === 0).reduce((m, s) => Math.max(m, s.deliveredPerSecond), 0);

async function main(): Promise<void> {
  const agents = Number(arg('agents') ?? 1000);
  const rates = (arg('rates') ?? '1000,2000,5000,10000,15000,20000').split(',').map(Number);
  const stepMs = Number(arg('step-ms') ?? 4000);
  const only = arg('only');
  const profileDir = arg('profile');

  // The server's fixtures (tokens) are the credentials both targets use.
  const server = await startServer(agents, profileDir);
  const credentials = server.credentials;
  const sides: Side[] = [];
  let relay: Started | undefined;
  try {
    if (!credentials) throw new Error('the server process sent no credentials');
    if (only !== 'relay') {
      sides.push({ label: 'server', load: await PairLoad.connect({ url: server.url, credentials, agents }), steps: [], done: false });
    }
    if (only !== 'server') {
      relay = await startChild('relay', { tokens: credentials.agents.map((a) => [a.token, a.id]), userToken: credentials.userToken });
      sides.push({ label: 'relay', load: await PairLoad.connect({ url: relay.url, credentials, agents }), steps: [], done: false });
    }
    await runInterleaved(sides, rates, stepMs);
  } finally {
    for (const side of sides) await side.load.close();
    await relay?.close();
    await server.close();
  }
  const serverSteps = sides.find((s) => s.label === 'server')?.steps ?? [];
  const relaySteps = sides.find((s) => s.label === 'relay')?.steps ?? [];
  const updates = best(serverSteps);
  const raw = best(relaySteps);
  const at10k = serverSteps.find((s) => s.rate === 10_000);
  const verdict = {
    bench: 'coordinator',
    updates_per_s: updates,
    raw_updates_per_s: raw,
    ratio: raw > 0 ? Math.round((updates / raw) * 100) / 100 : null,
    p99_ms_at_10k: at10k ? Math.round(at10k.p99 * 100) / 100 : null,
    lost: serverSteps.reduce((n, s) => n + s.lost, 0),
  };
  console.log(JSON.stringify(verdict));
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
