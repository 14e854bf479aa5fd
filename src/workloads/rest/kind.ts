import { defineWorkloadKind } from '../kind.js';
import { resolveRest, restRules, restSection } from './section.js';

/** Kind `rest`: a weighted mix of agent-API requests on autocannon. */
export const restKind = defineWorkloadKind({
  section: restSection.optional(),
  rules: (rest, run, report) => restRules(rest, run.durationMs, report),
  resolve: resolveRest,
  async create(config, env) {
    const { createRestWorkload } = await import('./rest-workload.js');
    return createRestWorkload(config, { timeoutMs: env.agents.requestTimeout, sourceAddresses: env.sourceAddresses });
  },
});
