import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { EXIT, FleetsimError } from '../core/errors.js';
import type { RunSummary } from '../metrics/summary-types.js';
import { compareSummaries, renderComparison } from '../reporters/compare.js';

interface CompareArgs {
  baseline: string;
  current: string;
  tolerance: number;
  format: 'text' | 'markdown';
}

async function readSummary(path: string): Promise<RunSummary> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FleetsimError('usage', `cannot read ${path}: ${(error as Error).message}`, { hint: 'pass two summary.json files from reports/<run-id>/' });
  }
  try {
    return JSON.parse(text) as RunSummary;
  } catch (error) {
    throw new FleetsimError('usage', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * `fleetsim compare BASELINE CURRENT`: diff two runs' summary.json (latency percentiles, error
 * rates, throughput, coordinator figures); exit 10 when any metric regressed past the tolerance.
 */
export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <baseline> <current>',
  describe: 'Compare two runs (summary.json files) and flag regressions',
  builder: (yargs: Argv) =>
    yargs
      .positional('baseline', { type: 'string', demandOption: true, describe: 'baseline summary.json' })
      .positional('current', { type: 'string', demandOption: true, describe: 'current summary.json' })
      .option('tolerance', { type: 'number', default: 10, describe: 'allowed worsening in percent before a row is a regression' })
      .option('format', { choices: ['text', 'markdown'] as const, default: 'text' as const }) as unknown as Argv<CompareArgs>,
  handler: async (args) => {
    const [baseline, current] = await Promise.all([readSummary(args.baseline), readSummary(args.current)]);
    let comparison;
    try {
      comparison = compareSummaries(baseline, current, { tolerancePct: args.tolerance });
    } catch (error) {
      throw new FleetsimError('usage', (error as Error).message);
    }
    process.stdout.write(renderComparison(comparison, args.format) + '\n');
    process.exitCode = comparison.regressions > 0 ? EXIT.thresholds : EXIT.passed;
  },
};
