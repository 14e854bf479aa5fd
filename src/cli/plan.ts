import type { Argv } from 'yargs';
import type { CliCommand } from './command.js';
import { durationFlag, textFlag, wholeNumberFlag } from './flags.js';

interface PlanArgs {
  file: string;
  agents?: string;
  duration?: string;
  seed?: string;
  json?: boolean;
}

/**
 * `fleetsim plan FILE`: validate a scenario and print its timeline without running anything.
 * Bad flags are usage errors (exit 2); a bad scenario is `bad_scenario` (exit 3) listing every issue.
 */
export const planCommand: CliCommand<PlanArgs> = {
  command: 'plan <file>',
  describe: 'Validate a scenario and print its timeline, expected traffic, faults and thresholds',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (.ts, .mts, .js, .mjs or .json)' })
      .option('agents', { type: 'string', requiresArg: true, describe: 'override the peak agent count (phases rescale)' })
      .option('duration', { type: 'string', requiresArg: true, describe: 'override the run duration, e.g. 30s' })
      .option('seed', { type: 'string', requiresArg: true, describe: 'override the seed' })
      .option('json', { type: 'boolean', describe: 'print the plan as JSON instead of text' }) as unknown as Argv<PlanArgs>,
  run: async (args, io) => {
    const agents = args.agents === undefined ? undefined : wholeNumberFlag('agents', args.agents);
    if (args.duration !== undefined) durationFlag('duration', args.duration, { positive: true });
    const seed = args.seed === undefined ? undefined : textFlag('seed', args.seed);
    // Loaded here so that other commands and --version/--help skip the scenario schema (zod).
    const [{ loadScenario }, { formatPlan, planScenario }] = await Promise.all([import('../scenario/load.js'), import('../scenario/plan.js')]);
    const scenario = await loadScenario(args.file, { agents, duration: args.duration, seed }, { cwd: io.cwd });
    const plan = planScenario(scenario);
    io.stdout.write(args.json ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan));
    return 0;
  },
};
