/**
 * `fleetsim run FILE --workers N`: the shards of one run as N local child processes, merged at
 * the end (runner/merge-shards.ts). Each worker is `fleetsim run FILE --shard K/N --worker` with
 * its own `--out` folder under the run's `shards/`; with the embedded target each starts its own
 * server for its slice of the agents (N independent servers). The parent:
 *
 * - waits until every worker's target is up, then gives them one start instant over IPC (the
 *   user's `--start-at`, or at once): a slow machine cannot make a worker miss it;
 * - shows one live line for all of them, from the progress each sends about once a second;
 * - forwards SIGINT / SIGTERM / SIGHUP to every worker (each writes its partial shard file; the
 *   merged report is then `interrupted`). Workers run in their own process group, so a Ctrl-C
 *   on the terminal reaches them once, through the parent, not twice;
 * - kills every worker still running on every way out (and a worker whose parent dies stops by
 *   itself: worker-channel.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignalSource } from '../cli/io.js';
import { EXIT, FleetsimError, SIGNAL_EXIT, type StopSignal } from '../core/errors.js';
import { ownModule } from '../core/own-module.js';
import type { Logger } from '../core/log.js';
import type { LiveSnapshot } from '../metrics/recorder-types.js';
import { formatLiveLine } from '../reporters/live-line.js';
import { mergeShards, type MergeResult } from './merge-shards.js';
import { makeRunId } from './run-scenario.js';
import type { WorkerMessage } from './worker-channel.js';

/**
 * The CLI entry the workers run: the parent's own build (dist/bin.js with plain node), or
 * src/bin.ts through tsx when the parent runs from source (tsx, vitest).
 */
const ENTRY = ownModule('../bin.js', import.meta.url);
/** How far ahead of "everyone is ready" the common start instant is (IPC is fast on one host). */
const START_MARGIN_MS = 500;
/** After a stop request, how long a worker gets before SIGKILL (its own grace is 15 s). */
const KILL_AFTER_MS = 30_000;

export interface WorkersOptions {
  /** Absolute path of the scenario file. */
  file: string;
  scenarioName: string;
  count: number;
  /** Flags passed to every worker as they are (overrides, target, log level…). */
  args: readonly string[];
  /** Where the run folder goes. */
  outDir: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  signals: SignalSource;
  log: Logger;
  /** The workers' log lines, prefixed with their shard. */
  forward: (line: string) => void;
  live?: (line: string, final: boolean) => void;
  print?: (text: string) => void;
  /** The scenario runs against the embedded server (each worker then starts its own). */
  embedded: boolean;
  /** `--start-at` (epoch ms): the instant sent to the workers once all are ready. */
  startAtMs?: number;
  allowSaturated?: boolean;
  /** Called with each worker's pid once it is started (tests check they are gone). */
  onSpawn?: (index: number, pid: number) => void;
}

interface Worker {
  index: number;
  child: ChildProcess;
  ready: boolean;
  snapshot?: LiveSnapshot;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
}

/** Runs the workers to the end and merges their shards; resolves the merged result. */
export async function runWorkers(options: WorkersOptions): Promise<MergeResult & { interrupted?: StopSignal }> {
  const runId = makeRunId(options.scenarioName);
  const reportDir = join(options.outDir, runId);
  const shardsDir = join(reportDir, 'shards');
  await mkdir(shardsDir, { recursive: true });

  const workers: Worker[] = [];
  let stopSignal: StopSignal | undefined;
  let wake: () => void = () => undefined;
  const changed = (): void => wake();
  const nextChange = (): Promise<void> => new Promise((resolve) => (wake = resolve));

  const onSignal = (name: StopSignal) => (): void => {
    stopSignal ??= name;
    // Each worker stops gracefully (partial shard file); one that hangs is killed after a bound.
    for (const w of workers) {
      if (w.exit) continue;
      w.child.kill(name);
      setTimeout(() => w.exit || w.child.kill('SIGKILL'), KILL_AFTER_MS).unref();
    }
    changed();
  };
  const listeners = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => ({ name, listener: onSignal(name) }));
  for (const { name, listener } of listeners) options.signals.on(name, listener);

  let ticker: NodeJS.Timeout | undefined;
  try {
    for (let index = 0; index < options.count; index++) {
      const worker = startWorker(index, options, join(shardsDir, `shard-${index}`), changed);
      workers.push(worker);
      options.onSpawn?.(index, worker.child.pid ?? -1);
      options.log.info(`worker ${index}/${options.count} started (pid ${worker.child.pid})`);
    }
    if (options.embedded) options.log.info(`embedded target: each of the ${options.count} workers runs its own server for its slice of the agents`);

    // The barrier: every worker ready (target up), or one gone, or a stop.
    while (!stopSignal && !workers.every((w) => w.ready) && !workers.some((w) => w.exit)) await nextChange();
    const early = workers.find((w) => w.exit && !w.ready);
    if (early && !stopSignal) {
      stopAll(workers, 'SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      throw new FleetsimError('harness', `worker ${early.index} exited (${describeExit(early)}) before its run started; its output is above`);
    }
    if (!stopSignal) {
      const soonest = Date.now() + START_MARGIN_MS;
      if (options.startAtMs !== undefined && options.startAtMs < soonest) {
        options.log.warn(`--start-at ${new Date(options.startAtMs).toISOString()} passed while the workers started; starting now`);
      }
      const atMs = Math.max(soonest, options.startAtMs ?? 0);
      for (const w of workers) if (!w.exit && w.child.connected) w.child.send({ type: 'start', atMs }, () => undefined);
    }
    if (options.live) {
      const live = options.live;
      ticker = setInterval(() => live(liveLine(workers), false), 1000);
    }
    await Promise.all(workers.map((w) => w.exited));
  } finally {
    if (ticker) clearInterval(ticker);
    options.live?.('', true);
    stopAll(workers, 'SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    for (const { name, listener } of listeners) options.signals.off(name, listener);
  }

  const failed = workers.filter((w) => !acceptableExit(w));
  for (const w of failed) options.log.error(`worker ${w.index} failed (${describeExit(w)}); merging the shards that were written`);
  try {
    const result = await mergeShards({
      paths: [shardsDir],
      cwd: options.cwd,
      reportDir,
      allowPartial: true,
      allowSaturated: options.allowSaturated,
      errored: failed.length > 0,
      log: options.log,
      print: options.print,
    });
    return { ...result, ...(stopSignal ? { interrupted: stopSignal } : {}) };
  } catch (error) {
    // No shard file at all: every worker was stopped (or failed) before writing one.
    if (stopSignal && error instanceof FleetsimError && error.code === 'usage') {
      throw new FleetsimError('harness', `interrupted (${stopSignal}) before any worker wrote its shard file`);
    }
    throw error;
  }
}

function startWorker(index: number, options: WorkersOptions, out: string, changed: () => void): Worker {
  const args = [
    ...ENTRY.execArgv,
    ENTRY.path,
    'run',
    options.file,
    '--shard',
    `${index}/${options.count}`,
    '--worker',
    '--no-live',
    '--out',
    out,
    ...options.args,
  ];
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    // stdout (the shard's own table) is not shown: the merged report is. stderr carries its log.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Its own process group: a terminal Ctrl-C reaches the parent only, which forwards it once.
    detached: true,
  });
  const worker: Worker = { index, child, ready: false, exited: Promise.resolve() };
  worker.exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      worker.exit = { code, signal };
      changed();
      resolve();
    });
    child.once('error', (error) => {
      options.log.error(`worker ${index} could not be started: ${error.message}`);
      worker.exit ??= { code: null, signal: null };
      changed();
      resolve();
    });
  });
  child.on('message', (raw) => {
    const message = raw as WorkerMessage;
    if (message?.type === 'ready') {
      worker.ready = true;
      changed();
    } else if (message?.type === 'progress') worker.snapshot = message.snapshot;
  });
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') options.forward(`[worker ${index}] ${line}`);
  });
  child.stderr?.on('end', () => {
    if (pending.trim() !== '') options.forward(`[worker ${index}] ${pending}`);
    pending = '';
  });
  return worker;
}

function stopAll(workers: readonly Worker[], signal: NodeJS.Signals): void {
  for (const w of workers) {
    if (w.exit) continue;
    try {
      w.child.kill(signal);
    } catch {
      // Already gone.
    }
    if (signal !== 'SIGKILL') setTimeout(() => w.exit || w.child.kill('SIGKILL'), KILL_AFTER_MS).unref();
  }
}

/** Exits that still leave a usable shard file: passed, saturated (invalid), interrupted. */
function acceptableExit(w: Worker): boolean {
  const code = w.exit?.code;
  return code === EXIT.passed || code === EXIT.invalid || Object.values(SIGNAL_EXIT).includes(code ?? -1);
}

function describeExit(w: Worker): string {
  if (!w.exit) return 'running';
  return w.exit.signal ? `killed by ${w.exit.signal}` : `exit code ${w.exit.code}`;
}

/** One live line for all workers: their figures added up, the longest elapsed. */
function liveLine(workers: readonly Worker[]): string {
  const total: LiveSnapshot = { elapsedMs: 0, agentsConnected: 0, agentsPlanned: 0, peersConnected: 0, requestsPerSecond: 0, totalRequests: 0, totalErrors: 0 };
  for (const w of workers) {
    const s = w.snapshot;
    if (!s) continue;
    total.elapsedMs = Math.max(total.elapsedMs, s.elapsedMs);
    total.agentsConnected += s.agentsConnected;
    total.agentsPlanned += s.agentsPlanned;
    total.peersConnected += s.peersConnected;
    total.requestsPerSecond += s.requestsPerSecond;
    total.totalRequests += s.totalRequests;
    total.totalErrors += s.totalErrors;
  }
  const running = workers.filter((w) => !w.exit).length;
  return `${formatLiveLine(total)}  workers ${running}/${workers.length}`;
}
