import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { Resolution } from '../capacity/search.js';
import { FleetsimError } from '../core/errors.js';
import type { LogLevel } from '../core/log.js';
import { parseThreshold } from '../metrics/thresholds.js';
import type { CliCommand } from './command.js';
import { durationFlag, numberFlag, sourceAddressesFlag, textFlag, wholeNumberFlag } from './flags.js';
import { writeLine } from './io.js';
import { prepareOutputDir } from './output-dir.js';
import { runWithSignals } from './run.js';

interface CapacityArgs {
  file: string;
  slo?: string[];
  from: string;
  to: string;
  factor: string;
  hold: string;
  ramp?: string;
  settle?: string;
  resolution: string;
  target?: string;
  credentials?: string;
  seed?: string;
  'source-addresses'?: string;
  out: string;
  'allow-saturated'?: boolean;
  'log-level': LogLevel;
}

/** "5%" → 5 % of the passing count; "3" → 3 agents. */
export function resolutionFlag(value: string): Resolution {
  const text = value.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 0 && p < 100) return { kind: 'relative', value: p / 100 };
  } else if (/^\d+$/.test(text) && Number(text) >= 1) {
    return { kind: 'absolute', value: Number(text) };
  }
  throw new FleetsimError(
    'usage',
    `--resolution must be a percentage between 0% and 100% (e.g. 5%) or a whole number of agents >= 1, got ${JSON.stringify(value)}`,
  );
}

/**
 * `fleetsim capacity FILE --slo EXPR…`: step the agent count up until an SLO breaks, confirm
 * that once, bisect to the resolution, report the knee (src/capacity). Exit codes: 0 a knee was
 * found or --to passed, 10 even --from failed, 11 stopped by a saturated harness, 2/3/4 usage,
 * scenario and harness errors, 129/130/143 interrupted.
 */
export const capacityCommand: CliCommand<CapacityArgs> = {
  command: 'capacity <file>',
  describe: 'Find how many agents the target takes before an SLO breaks (step up, confirm, bisect)',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (.ts, .mts, .js, .mjs or .json)' })
      .option('slo', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'an SLO in the threshold grammar, e.g. "p99(POST /me/report-stats) < 200ms" (repeatable; default: the scenario\'s thresholds)',
      })
      .option('from', { type: 'string', requiresArg: true, default: '10', describe: 'first agent count' })
      .option('to', { type: 'string', requiresArg: true, default: '1000', describe: 'highest agent count to try' })
      .option('factor', { type: 'string', requiresArg: true, default: '1.5', describe: 'step-up factor (> 1)' })
      .option('hold', { type: 'string', requiresArg: true, default: '60s', describe: 'measured window of each step' })
      .option('ramp', { type: 'string', requiresArg: true, describe: 'ramp 0 → N agents at the start of each step (default: hold / 4)' })
      .option('settle', { type: 'string', requiresArg: true, describe: 'unmeasured time between the ramp and the hold (default: hold / 12)' })
      .option('resolution', {
        type: 'string',
        requiresArg: true,
        default: '5%',
        describe: 'stop bisecting when the bounds are this close: 5% of the knee, or a number of agents',
      })
      .option('target', { type: 'string', requiresArg: true, describe: 'base URL of a Coder deployment (needs --credentials)' })
      .option('credentials', { type: 'string', requiresArg: true, describe: 'credentials file for --target (see README)' })
      .option('seed', { type: 'string', requiresArg: true, describe: 'override the seed' })
      .option('source-addresses', {
        type: 'string',
        requiresArg: true,
        describe:
          'bind sockets to these local addresses round-robin, past the ~28k ports per address and target: a range (127.0.0.2-9, 10.0.0.5-10.0.0.9) or a comma list (IPv4, IPv6)',
      })
      .option('out', { type: 'string', requiresArg: true, default: 'reports', describe: 'folder for reports' })
      .option('allow-saturated', { type: 'boolean', describe: 'judge steps whose harness was saturated instead of stopping there' })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, default: 'info' as LogLevel }) as unknown as Argv<CapacityArgs>,
  run: async (args, io) => {
    // Every flag is checked before anything is loaded, started or written.
    const slos = (args.slo ?? []).map((text) => textFlag('slo', text));
    for (const text of slos) {
      try {
        parseThreshold(text);
      } catch (error) {
        throw new FleetsimError('usage', `--slo: ${(error as Error).message}`, { hint: (error as FleetsimError).hint });
      }
    }
    const from = wholeNumberFlag('from', args.from, { min: 1 });
    const to = wholeNumberFlag('to', args.to, { min: 1 });
    if (to < from) throw new FleetsimError('usage', `--to (${to}) must not be below --from (${from})`);
    const factor = numberFlag('factor', args.factor, { min: 0 });
    if (!(factor > 1)) throw new FleetsimError('usage', `--factor must be greater than 1, got ${JSON.stringify(args.factor)}`);
    const holdMs = durationFlag('hold', args.hold, { positive: true });
    const rampMs = args.ramp === undefined ? Math.round(holdMs / 4) : durationFlag('ramp', args.ramp);
    const settleMs = args.settle === undefined ? Math.round(holdMs / 12) : durationFlag('settle', args.settle);
    const resolution = resolutionFlag(args.resolution);
    const seed = args.seed === undefined ? undefined : textFlag('seed', args.seed);
    const sourceAddresses = args['source-addresses'] === undefined ? undefined : sourceAddressesFlag(args['source-addresses']);
    textFlag('out', args.out);
    if (Boolean(args.target) !== Boolean(args.credentials)) {
      throw new FleetsimError('usage', '--target and --credentials go together', {
        hint: 'a real Coder needs agent tokens and a user API key: fleetsim capacity FILE --target URL --credentials FILE',
      });
    }
    // Loaded here, not at the top: other commands and --version/--help skip the scenario schema and the runner.
    const [{ readScenarioFile }, { runCapacity }, { stepScenario }] = await Promise.all([
      import('../scenario/load.js'),
      import('../capacity/run-capacity.js'),
      import('../capacity/step-scenario.js'),
    ]);
    const raw = await readScenarioFile(args.file, { cwd: io.cwd });
    const timing = { rampMs, settleMs, holdMs };
    const overrides = {
      seed,
      sourceAddresses,
      target: args.target && args.credentials ? { url: args.target, credentials: resolve(io.cwd, args.credentials) } : undefined,
    };
    const first = stepScenario(raw, args.file, from, timing, overrides);
    if (first.sourceAddresses?.length) {
      // Before --out is touched, as for `run`: an address this machine cannot bind is a usage
      // error (the search checks again, and says which addresses it uses).
      const { checkSourceAddresses, sourceCheckUrls } = await import('../runner/source-address-check.js');
      await checkSourceAddresses(first.sourceAddresses, sourceCheckUrls(first));
    }
    const outDir = await prepareOutputDir(args.out, { cwd: io.cwd });
    return runWithSignals({ live: false, 'log-level': args['log-level'] }, io, (signal, log) =>
      runCapacity({
        raw,
        source: args.file,
        slos,
        from,
        to,
        factor,
        resolution,
        resolutionText: args.resolution.trim(),
        timing,
        overrides,
        outDir,
        signal,
        log,
        print: (text) => writeLine(io.stdout, text),
        allowSaturated: args['allow-saturated'] === true,
      }).then((result) => {
        writeLine(io.stdout, `report: ${result.reportDir}`);
        return result.exitCode;
      }),
    );
  },
};
