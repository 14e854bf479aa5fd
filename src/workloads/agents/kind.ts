import { FleetsimError } from '../../core/errors.js';
import { openFilesSoftLimit } from '../../core/fd-limit.js';
import { defineWorkloadKind } from '../kind.js';
import { agentsRules, agentsSection, resolveAgents } from './section.js';

/** Kind `agents`: the fake agent fleet, following the plan's timeline. */
export const agentsKind = defineWorkloadKind({
  section: agentsSection.prefault({}),
  rules: (agents, run, report) => agentsRules(agents, run.durationMs, report),
  resolve: (agents) => resolveAgents(agents),
  async create(config, env) {
    if (env.plan.peakAgents === 0) return undefined;
    // v2 agents with token auth make no REST request at all, so they never open their connection.
    const usesRest = config.protocol !== 'v2' || config.auth.aws + config.auth.azure + config.auth.google > 0;
    // (http-model.js loads undici: imported here, so validating a scenario never does.)
    const { chooseHttpModel } = await import('./http-model.js');
    const { issue, ...httpChoice } = usesRest
      ? chooseHttpModel(config.http, env.plan.peakAgents, env.plan.peers?.peak ?? 0, openFilesSoftLimit())
      : chooseHttpModel(config.http === 'shared' ? 'shared' : 'auto', 0, 0, undefined);
    if (issue) {
      // An explicit per-agent that cannot fit: fail before the first agent starts rather than
      // with EMFILE halfway up the ramp.
      throw new FleetsimError('usage', issue, {
        hint: 'use agents.http: "shared" (one pool for the fleet) or "auto", lower the peak, or split the fleet over several processes',
      });
    }
    const { createAgentFleet } = await import('./fleet.js');
    return {
      kind: 'agents',
      // The fleet is made when the run starts: a watcher (peers) registers on the tap when it
      // is created, which may be after this kind.
      run: (ctx) => {
        const rate = env.coordinate.agentUpdateRate;
        const nodeUpdateInterval = rate !== undefined && rate > 0 ? 1000 / rate : config.nodeUpdateInterval;
        const fleet = createAgentFleet(
          { ...config, nodeUpdateInterval },
          {
            schedule: env.schedule,
            durationMs: env.durationMs,
            observer: env.coordinate.observer,
            localAddresses: [...env.sourceAddresses],
            httpChoice,
          },
        );
        return fleet.run(ctx);
      },
    };
  },
});
