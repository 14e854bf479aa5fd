import { defineWorkloadKind } from '../kind.js';
import { peersRules, peersSection } from './section.js';

/** Kind `peers`: peers that dial the fleet's agents and account every node update. */
export const peersKind = defineWorkloadKind({
  section: peersSection.optional(),
  rules: (peers, _run, report) => peersRules(peers, report),
  async create(config, env) {
    const { createPeersWorkload } = await import('./peers-workload.js');
    // One knob: peers speak the agents' protocol (`auto` is resolved before workloads are made).
    const protocol = env.agents.protocol === 'v2' ? 'v2' : 'v1';
    const peers = createPeersWorkload(config, {
      schedule: env.schedule,
      durationMs: env.durationMs,
      protocol,
      localAddresses: env.sourceAddresses,
    });
    env.coordinate.watch(peers.observer, { agentUpdateRate: config.agentUpdateRate });
    return peers.workload;
  },
});
