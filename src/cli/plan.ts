import type { Argv, CommandModule } from 'yargs';
import { loadScenario } from '../scenario/load.js';
import { formatPlan, planScenario } from '../scenario/plan.js';

interface PlanArgs {
  file: string;
  agents?: number;
  duration?: string;
  seed?: string;
  json?: boolean;
}

/**
 * `fleetsim plan FILE`: validate a scenario and print its timeline without running anything.
 * A bad scenario throws a `bad_scenario` FleetsimError (exit 3) listing every issue.
 */
export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan <file>',
  describe: 'Validate a scenario and print its timeline, expected traffic, faults and thresholds',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file (.ts, .js or .json)' })
      .option('agents', { type: 'number', describe: 'override the peak agent count (phases rescale)' })
      .option('duration', { type: 'string', describe: 'override the run duration, e.g. 30s' })
      .option('seed', { type: 'string', describe: 'override the seed' })
      .option('json', { type: 'boolean', describe: 'print the plan as JSON instead of text' }) as unknown as Argv<PlanArgs>,
  handler: async (args) => {
    const scenario = await loadScenario(args.file, { agents: args.agents, duration: args.duration, seed: args.seed });
    const plan = planScenario(scenario);
    process.stdout.write(args.json ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan));
  },
};
