import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { FleetsimError, SIGNAL_EXIT, type StopSignal } from '../core/errors.js';
import { createLogger, type LogLevel } from '../core/log.js';
import { parseListenAddress } from '../observe/metrics-server.js';
import { runScenario } from '../runner/run-scenario.js';
import { loadScenario } from '../scenario/load.js';
import type { CliCommand } from './command.js';
import { durationFlag, textFlag, wholeNumberFlag } from './flags.js';
import { STOP_SIGNALS, writeLine, type CliIO } from './io.js';
import { prepareOutputDir } from './output-dir.js';

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
  'log-level': LogLevel;
}

/**
 * `fleetsim run FILE`: validate the flags, load the scenario, check --out, run, write the report.
 * The first SIGINT/SIGTERM/SIGHUP stops the fleet and still writes a partial report; a second
 * one returns its exit code at once (bin.ts then exits without waiting for the report).
 */
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
      .option('protocol', { type: 'string', requiresArg: true, choices: ['v1', 'v2', 'auto'], describe: 'override the agent API (agents.protocol; auto: ask the target)' })
      .option('out', { type: 'string', requiresArg: true, default: 'reports', describe: 'folder for run reports' })
      .option('live', { type: 'boolean', describe: 'live progress line (default: when stderr is a TTY)' })
      .option('metrics-addr', { type: 'string', requiresArg: true, describe: 'serve Prometheus /metrics here during the run: HOST:PORT, or PORT for 127.0.0.1 (e.g. 127.0.0.1:9464)' })
      .option('allow-saturated', { type: 'boolean', describe: 'keep the outcome when the harness itself was saturated (exit 11 otherwise); the report is marked' })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, default: 'info' as LogLevel }) as unknown as Argv<RunArgs>,
  run: async (args, io) => {
    // Every flag is checked before anything is loaded, started or written.
    const agents = args.agents === undefined ? undefined : wholeNumberFlag('agents', args.agents);
    if (args.duration !== undefined) durationFlag('duration', args.duration, { positive: true });
    const seed = args.seed === undefined ? undefined : textFlag('seed', args.seed);
    textFlag('out', args.out);
    const metricsAddr = args['metrics-addr'] === undefined ? undefined : textFlag('metrics-addr', args['metrics-addr']);
    if (metricsAddr !== undefined) parseListenAddress(metricsAddr);
    if (Boolean(args.target) !== Boolean(args.credentials)) {
      throw new FleetsimError('usage', '--target and --credentials go together', {
        hint: 'a real Coder needs agent tokens and a user API key: fleetsim run FILE --target URL --credentials FILE',
      });
    }
    const scenario = await loadScenario(
      args.file,
      {
        agents,
        duration: args.duration,
        seed,
        protocol: args.protocol,
        target: args.target && args.credentials ? { url: args.target, credentials: resolve(io.cwd, args.credentials) } : undefined,
      },
      { cwd: io.cwd },
    );
    const outDir = await prepareOutputDir(args.out, { cwd: io.cwd });
    return runWithSignals(args, io, (signal, log, tty) =>
      runScenario({
        scenario,
        outDir,
        signal,
        log,
        live: tty ? (line) => io.stderr.write(`\r\x1b[2K${line}`) : undefined,
        print: (text) => writeLine(io.stdout, text),
        observe: { metricsAddr, allowSaturated: args['allow-saturated'] === true ? true : undefined },
      }).then((result) => {
        writeLine(io.stdout, `report: ${result.reportDir}`);
        return result.exitCode;
      }),
    );
  },
};

/** Runs `run` with the CLI's logger and stop-signal handling (shared with `fleetsim capacity`). */
export async function runWithSignals(
  args: Pick<RunArgs, 'live' | 'log-level'>,
  io: CliIO,
  run: (signal: AbortSignal, log: ReturnType<typeof createLogger>, tty: boolean) => Promise<number>,
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
