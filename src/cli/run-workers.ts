/**
 * The `run --workers N` half of the run command: which flags the workers inherit, the live line
 * and log forwarding, and the merged result as the exit code (runner/workers.ts does the work).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Scenario } from '../scenario/schema.js';
import { wholeNumberFlag } from './flags.js';
import { writeLine, type CliIO } from './io.js';
import type { RunArgs } from './run.js';

/** Most local workers accepted (each is a process with its own server and sockets). */
const MAX_WORKERS = 64;

/** `--workers N` (1 … 64) or `auto` (one per CPU). */
export function workersFlag(value: string): number {
  if (value.trim() === 'auto') return Math.min(MAX_WORKERS, availableParallelism());
  return wholeNumberFlag('workers', value, { min: 1, max: MAX_WORKERS });
}

export interface LocalWorkersRun {
  args: RunArgs;
  io: CliIO;
  scenario: Scenario;
  outDir: string;
  count: number;
  log: Logger;
  tty: boolean;
  /** `--start-at`, already checked. */
  startAtMs?: number;
}

export async function runLocalWorkers(run: LocalWorkersRun): Promise<number> {
  const { args, io, log, tty } = run;
  // The workers get the same run: the scenario file and every override, with absolute paths.
  const passOn: string[] = ['--log-level', args['log-level']];
  if (args.agents !== undefined) passOn.push('--agents', args.agents);
  if (args.duration !== undefined) passOn.push('--duration', args.duration);
  if (args.seed !== undefined) passOn.push('--seed', args.seed);
  if (args.target !== undefined && args.credentials !== undefined) passOn.push('--target', args.target, '--credentials', resolve(io.cwd, args.credentials));
  if (args['allow-saturated'] === true) passOn.push('--allow-saturated');
  // Every worker binds all the addresses, round-robin over its own agents: the port limit is per
  // (source, target) pair on the machine, so N workers spread over n addresses load each as
  // one process would. Checked (and announced) here once, before any worker starts.
  if (args['source-addresses'] !== undefined) passOn.push('--source-addresses', args['source-addresses']);
  await (await import('../runner/source-address-check.js')).prepareSourceAddresses(run.scenario, log);
  const clear = tty ? '\r\x1b[2K' : '';
  // Loaded here, not at the top: run.ts (and so every command) imports this file for its flag.
  const { runWorkers } = await import('../runner/workers.js');
  const result = await runWorkers({
    file: resolve(io.cwd, args.file),
    scenarioName: run.scenario.name,
    count: run.count,
    args: passOn,
    outDir: run.outDir,
    env: io.env,
    cwd: io.cwd,
    signals: io.signals,
    log,
    forward: (line) => io.stderr.write(`${clear}${line}\n`),
    live: tty ? (line) => io.stderr.write(`${clear}${line}`) : undefined,
    print: (text) => writeLine(io.stdout, text),
    embedded: run.scenario.target === undefined,
    ...(run.startAtMs !== undefined ? { startAtMs: run.startAtMs } : {}),
    allowSaturated: args['allow-saturated'] === true,
  }).catch((error: unknown) => {
    if (error instanceof FleetsimError) throw error;
    throw new FleetsimError('harness', `local workers failed: ${(error as Error).message}`, { cause: error });
  });
  writeLine(io.stdout, `report: ${result.reportDir}`);
  const { publishRunSummary } = await import('../reporters/github-actions.js');
  await publishRunSummary(io, result.summary, (text) => log.redact(text));
  return result.exitCode;
}
