import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EXIT, FleetsimError } from '../core/errors.js';
import type { RunSummary } from '../metrics/summary-types.js';
import type { Comparison } from '../reporters/compare.js';
import type { CliCommand } from './command.js';
import { numberFlag } from './flags.js';

interface CompareArgs {
  baseline: string;
  current: string;
  tolerance: string | number;
  format: 'text' | 'markdown';
}

async function readSummary(path: string, cwd: string): Promise<RunSummary> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
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
export const compareCommand: CliCommand<CompareArgs> = {
  command: 'compare <baseline> <current>',
  describe: 'Compare two runs (summary.json files) and flag regressions',
  builder: (yargs: Argv) =>
    yargs
      .positional('baseline', { type: 'string', demandOption: true, describe: 'baseline summary.json' })
      .positional('current', { type: 'string', demandOption: true, describe: 'current summary.json' })
      .option('tolerance', { type: 'string', requiresArg: true, default: '10', describe: 'allowed worsening in percent before a row is a regression' })
      .option('format', { choices: ['text', 'markdown'] as const, default: 'text' as const }) as unknown as Argv<CompareArgs>,
  run: async (args, io) => {
    const tolerancePct = numberFlag('tolerance', args.tolerance);
    const { compareSummaries, renderComparison } = await import('../reporters/compare.js');
    const [baseline, current] = await Promise.all([readSummary(args.baseline, io.cwd), readSummary(args.current, io.cwd)]);
    let comparison: Comparison;
    try {
      comparison = compareSummaries(baseline, current, { tolerancePct });
    } catch (error) {
      throw new FleetsimError('usage', (error as Error).message);
    }
    io.stdout.write(renderComparison(comparison, args.format) + '\n');
    // In GitHub Actions the Markdown table goes to the step summary whatever --format says.
    const { publishToGithubActions, compareAnnotations } = await import('../reporters/github-actions.js');
    await publishToGithubActions(io, { markdown: renderComparison(comparison, 'markdown'), annotations: compareAnnotations(comparison) });
    return comparison.regressions > 0 ? EXIT.thresholds : EXIT.passed;
  },
};
