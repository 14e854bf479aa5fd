import type { Argv, CommandModule } from 'yargs';
import { FleetsimError } from '../core/errors.js';
import { createLogger, type LogLevel } from '../core/log.js';
import { runScenario } from '../runner/run-scenario.js';
import { loadScenario } from '../scenario/load.js';

interface RunArgs {
  file: string;
  target?: string;
  credentials?: string;
  agents?: number;
  duration?: string;
  seed?: string;
  protocol?: string;
  out: string;
  live?: boolean;
  'log-level': LogLevel;
}

/** `fleetsim run FILE`: run a scenario and write its report; exit code per the README. */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <file>',
  describe: 'Run a scenario (embedded server unless --target) and write the report',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (.ts or .json)' })
      .option('target', { type: 'string', describe: 'base URL of a Coder deployment (needs --credentials)' })
      .option('credentials', { type: 'string', describe: 'credentials file for --target (see README)' })
      .option('agents', { type: 'number', describe: 'override the peak agent count (phases rescale)' })
      .option('duration', { type: 'string', describe: 'override the run duration, e.g. 30s' })
      .option('seed', { type: 'string', describe: 'override the seed' })
      .option('protocol', { type: 'string', choices: ['v1', 'v2'], describe: 'override the agent API (agents.protocol)' })
      .option('out', { type: 'string', default: 'reports', describe: 'folder for run reports' })
      .option('live', { type: 'boolean', describe: 'live progress line (default: when stderr is a TTY)' })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, default: 'info' as LogLevel }) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    if (Boolean(args.target) !== Boolean(args.credentials)) {
      throw new FleetsimError('usage', '--target and --credentials go together', {
        hint: 'a real Coder needs agent tokens and a user API key: fleetsim run FILE --target URL --credentials FILE',
      });
    }
    const scenario = await loadScenario(args.file, {
      agents: args.agents,
      duration: args.duration,
      seed: args.seed,
      protocol: args.protocol,
      target: args.target && args.credentials ? { url: args.target, credentials: args.credentials } : undefined,
    });
    const tty = args.live ?? Boolean(process.stderr.isTTY);
    // With a live line on the terminal, each log line first clears it so the two never mix.
    const log = createLogger({
      level: args['log-level'],
      write: tty ? (line) => process.stderr.write(`\r\x1b[2K${line}\n`) : undefined,
    });
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
      signals += 1;
      if (signals > 1) {
        process.stderr.write(`\nsecond ${name}: exiting without waiting for the report\n`);
        process.exit(name === 'SIGINT' ? 130 : 143);
      }
      log.warn(`${name}: stopping the fleet and writing a partial report (again to force)`);
      controller.abort(name);
    };
    const sigint = onSignal('SIGINT');
    const sigterm = onSignal('SIGTERM');
    process.on('SIGINT', sigint);
    process.on('SIGTERM', sigterm);
    try {
      const result = await runScenario({
        scenario,
        outDir: args.out,
        signal: controller.signal,
        log,
        live: tty
          ? (line) => process.stderr.write(`\r\x1b[2K${line}`)
          : undefined,
        print: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
      });
      process.stdout.write(`report: ${result.reportDir}\n`);
      process.exitCode = result.exitCode;
    } finally {
      process.off('SIGINT', sigint);
      process.off('SIGTERM', sigterm);
    }
  },
};
