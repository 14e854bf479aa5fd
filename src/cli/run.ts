import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { FleetsimError, SIGNAL_EXIT, type StopSignal } from '../core/errors.js';
import { createLogger, type LogLevel } from '../core/log.js';
import { parseListenAddress } from '../observe/metrics-server.js';
import type { CliCommand } from './command.js';
import { durationFlag, sourceAddressesFlag, textFlag, wholeNumberFlag } from './flags.js';
import { STOP_SIGNALS, writeLine, type CliIO } from './io.js';
import { prepareOutputDir } from './output-dir.js';
import { parseStartAt } from '../runner/start-at.js';
import { workerShardHooks } from '../runner/worker-channel.js';
import { runLocalWorkers, workersFlag } from './run-workers.js';

interface RunArgs {
  file: string;
  target?: string;
  credentials?: string;
  agents?: string;
  duration?: string;
  seed?: string;
  protocol?: string;
  out: string;
  live?: boolean;
  'metrics-addr'?: string;
  'allow-saturated'?: boolean;
  shard?: string;
  'start-at'?: string;
  workers?: string;
  worker?: boolean;
  'source-addresses'?: string;
  'log-level': LogLevel;
}

/**
 * `fleetsim run FILE`: validate the flags, load the scenario, check --out, run, write the report.
 * The first SIGINT/SIGTERM/SIGHUP stops the fleet and still writes a partial report; a second
 * one returns its exit code at once (bin.ts then exits without waiting for the report).
 */
export type { RunArgs };

export const runCommand: CliCommand<RunArgs> = {
  command: 'run <file>',
  describe: 'Run a scenario (embedded server unless --target) and write the report',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (.ts, .mts, .js, .mjs or .json)' })
      .option('target', { type: 'string', requiresArg: true, describe: 'base URL of a Coder deployment (needs --credentials)' })
      .option('credentials', { type: 'string', requiresArg: true, describe: 'credentials file for --target (see README)' })
      .option('agents', { type: 'string', requiresArg: true, describe: 'override the peak agent count (phases rescale)' })
      .option('duration', { type: 'string', requiresArg: true, describe: 'override the run duration, e.g. 30s' })
      .option('seed', { type: 'string', requiresArg: true, describe: 'override the seed' })
      .option('protocol', {
        type: 'string',
        requiresArg: true,
        choices: ['v1', 'v2', 'auto'],
        describe: 'override the agent API (agents.protocol; auto: ask the target)',
      })
      .option('out', { type: 'string', requiresArg: true, default: 'reports', describe: 'folder for run reports' })
      .option('live', { type: 'boolean', describe: 'live progress line (default: when stderr is a TTY)' })
      .option('metrics-addr', {
        type: 'string',
        requiresArg: true,
        describe: 'serve Prometheus /metrics here during the run: HOST:PORT, or PORT for 127.0.0.1 (e.g. 127.0.0.1:9464)',
      })
      .option('allow-saturated', {
        type: 'boolean',
        describe: 'keep the outcome when the harness itself was saturated (exit 11 otherwise); the report is marked',
      })
      .option('shard', {
        type: 'string',
        requiresArg: true,
        describe: 'run only shard K of N (K from 0: agent i runs in shard i mod N) and write shard-K-of-N.json for fleetsim merge',
      })
      .option('start-at', {
        type: 'string',
        requiresArg: true,
        describe: 'with --shard or --workers: start the timeline at this RFC 3339 instant (the same for every shard), e.g. 2030-01-02T15:04:05Z',
      })
      .option('workers', {
        type: 'string',
        requiresArg: true,
        describe: 'run the fleet as N local worker processes (auto: one per CPU), one shard each, merged at the end',
      })
      .option('source-addresses', {
        type: 'string',
        requiresArg: true,
        describe:
          'bind sockets to these local addresses round-robin, past the ~28k ports per address and target: a range (127.0.0.2-9, 10.0.0.5-10.0.0.9) or a comma list (IPv4, IPv6)',
      })
      // Internal: how `--workers` starts each worker (IPC with the parent).
      .option('worker', { type: 'boolean', hidden: true })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, default: 'info' as LogLevel }) as unknown as Argv<RunArgs>,
  run: async (args, io) => {
    // Every flag is checked before anything is loaded, started or written.
    const agents = args.agents === undefined ? undefined : wholeNumberFlag('agents', args.agents);
    if (args.duration !== undefined) durationFlag('duration', args.duration, { positive: true });
    const seed = args.seed === undefined ? undefined : textFlag('seed', args.seed);
    textFlag('out', args.out);
    const metricsAddr = args['metrics-addr'] === undefined ? undefined : textFlag('metrics-addr', args['metrics-addr']);
    if (metricsAddr !== undefined) parseListenAddress(metricsAddr);
    // runner/shard.js pulls in the scenario plan (and zod): loaded only with --shard.
    const shard = args.shard === undefined ? undefined : (await import('../runner/shard.js')).parseShard(textFlag('shard', args.shard));
    const startAtMs = args['start-at'] === undefined ? undefined : parseStartAt(textFlag('start-at', args['start-at']), Date.now());
    const workers = args.workers === undefined ? undefined : workersFlag(args.workers);
    const sourceAddresses = args['source-addresses'] === undefined ? undefined : sourceAddressesFlag(args['source-addresses']);
    if (workers !== undefined && shard)
      throw new FleetsimError('usage', '--workers and --shard go separately', { hint: '--workers N starts the N shards itself' });
    if (startAtMs !== undefined && !shard && workers === undefined) {
      throw new FleetsimError('usage', '--start-at needs --shard K/N (or --workers N)', { hint: 'it lines up the shards of one run' });
    }
    const parent = args.worker === true ? io.parent : undefined;
    if (args.worker === true && (!shard || !parent)) {
      throw new FleetsimError('usage', '--worker is internal: fleetsim run --workers N starts its workers with it', {
        hint: 'use --workers N, or --shard K/N',
      });
    }
    if (Boolean(args.target) !== Boolean(args.credentials)) {
      throw new FleetsimError('usage', '--target and --credentials go together', {
        hint: 'a real Coder needs agent tokens and a user API key: fleetsim run FILE --target URL --credentials FILE',
      });
    }
    // Loaded here, not at the top: `--version`, `--help` and the other commands never pay for
    // the scenario schema or the runner's module graph (undici, ws, faker, …).
    const [{ loadScenario }, { runScenario }] = await Promise.all([import('../scenario/load.js'), import('../runner/run-scenario.js')]);
    const scenario = await loadScenario(
      args.file,
      {
        agents,
        duration: args.duration,
        seed,
        protocol: args.protocol,
        sourceAddresses,
        target: args.target && args.credentials ? { url: args.target, credentials: resolve(io.cwd, args.credentials) } : undefined,
      },
      { cwd: io.cwd },
    );
    if (workers !== undefined && (metricsAddr !== undefined || scenario.observe?.metricsAddr !== undefined)) {
      throw new FleetsimError('usage', '--workers cannot serve /metrics yet (each worker would bind the same address)', {
        hint: 'drop --metrics-addr / observe.metricsAddr, or run the shards yourself (--shard K/N) with one --metrics-addr each',
      });
    }
    if (scenario.sourceAddresses?.length) {
      // Before --out is touched: an address this machine cannot bind is a usage error (the run
      // checks again, and says which addresses it uses).
      const { checkSourceAddresses, sourceCheckUrls } = await import('../runner/source-address-check.js');
      await checkSourceAddresses(scenario.sourceAddresses, sourceCheckUrls(scenario));
    }
    const outDir = await prepareOutputDir(args.out, { cwd: io.cwd });
    if (workers !== undefined) {
      return runWithSignals(args, io, (_signal, log, tty) => runLocalWorkers({ args, io, scenario, outDir, count: workers, log, tty, startAtMs }));
    }
    // A worker whose parent is gone stops as if sent SIGTERM (it never outlives the parent).
    const stopOnParentGone = parent ? (stop: (name: StopSignal) => void) => parent.on('disconnect', () => stop('SIGTERM')) : undefined;
    const hooks = parent ? workerShardHooks(parent) : {};
    const shardHooks = startAtMs !== undefined ? { progress: hooks.progress } : hooks;
    return runWithSignals(
      args,
      io,
      (signal, log, tty) =>
        runScenario({
          scenario,
          outDir,
          signal,
          log,
          live: tty ? (line) => io.stderr.write(`\r\x1b[2K${line}`) : undefined,
          print: (text) => writeLine(io.stdout, text),
          observe: { metricsAddr, allowSaturated: args['allow-saturated'] === true ? true : undefined },
          announceSourceAddresses: parent === undefined,
          ...(shard ? { shard: { ...shard, startAtMs, allowSaturated: args['allow-saturated'] === true, ...shardHooks } } : {}),
        }).then(async (result) => {
          writeLine(io.stdout, `report: ${result.reportDir}`);
          // GitHub Actions step summary and ::error lines (loaded here: other commands skip it).
          // A local worker's parent publishes the merged run; the worker inherits its environment.
          if (!parent) {
            const { publishRunSummary } = await import('../reporters/github-actions.js');
            await publishRunSummary(io, result.summary, (text) => log.redact(text));
          }
          return result.exitCode;
        }),
      stopOnParentGone,
    );
  },
};

/** Runs `run` with the CLI's logger and stop-signal handling (shared with `fleetsim capacity`). */
export async function runWithSignals(
  args: Pick<RunArgs, 'live' | 'log-level'>,
  io: CliIO,
  run: (signal: AbortSignal, log: ReturnType<typeof createLogger>, tty: boolean) => Promise<number>,
  /** Another source of a graceful stop (a worker's parent going away). */
  extraStop?: (stop: (name: StopSignal) => void) => void,
): Promise<number> {
  const tty = args.live ?? (Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb');
  // With a live line on the terminal, each log line first clears it so the two never mix.
  const log = createLogger({
    level: args['log-level'],
    write: (line) => io.stderr.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`),
  });
  const controller = new AbortController();
  let forced: (code: number) => void = () => {};
  const forcedExit = new Promise<number>((resolve) => (forced = resolve));
  let received = 0;
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = (): void => {
      received += 1;
      if (received > 1) {
        io.stderr.write(`\nsecond signal (${name}): exiting without waiting for the report\n`);
        forced(SIGNAL_EXIT[name]);
        return;
      }
      log.warn(`${name}: stopping the fleet and writing a partial report (send it again to exit at once)`);
      controller.abort(name satisfies StopSignal);
    };
    io.signals.on(name, listener);
    return { name, listener };
  });
  extraStop?.((name) => {
    if (controller.signal.aborted) return;
    log.warn(`the parent fleetsim is gone: stopping the fleet and writing a partial report`);
    controller.abort(name);
  });
  const running = run(controller.signal, log, tty);
  try {
    return await Promise.race([running, forcedExit]);
  } finally {
    // After a forced exit the run may still be winding down; its listeners go once it has.
    void running
      .catch(() => undefined)
      .finally(() => {
        for (const { name, listener } of listeners) io.signals.off(name, listener);
      });
  }
}
