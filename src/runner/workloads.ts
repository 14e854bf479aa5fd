import { FleetsimError } from '../core/errors.js';
import { agentCountAt, type Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { createAgentFleet } from '../workloads/agents/fleet.js';
import { createPeersWorkload } from '../workloads/peers/peers-workload.js';
import { createRestWorkload } from '../workloads/rest/rest-workload.js';
import type { Workload } from '../workloads/workload.js';
import type { RunTarget } from './target.js';

/**
 * Maps a validated scenario onto workload instances: the agent fleet (following the plan's
 * schedule), the peers that dial those agents (and observe their tagged updates), and the REST
 * mix. Every workload gets the same context at run time.
 */
export function buildWorkloads(scenario: Scenario, plan: Plan, target: RunTarget): Workload[] {
  const schedule = (elapsedMs: number) => agentCountAt(plan, elapsedMs);
  const needed = plan.peakAgents;
  if (needed > target.credentials.agents.length) {
    throw new FleetsimError('usage', `the scenario needs ${needed} agents but the credentials hold ${target.credentials.agents.length}`, {
      hint: 'lower --agents, or provision more agents (fleetsim serve --agents N) for the target',
    });
  }
  const identityModes = Object.entries(scenario.agents.auth)
    .filter(([mode, weight]) => mode !== 'token' && weight > 0)
    .map(([mode]) => mode);
  if (plan.peakAgents > 0 && identityModes.length > 0 && !target.credentials.identity) {
    throw new FleetsimError('usage', `the scenario asks for ${identityModes.join(', ')} instance-identity auth but the credentials have no identity material`, {
      hint: 'a real Coder trusts only the clouds\' keys: use agents.auth: { token: 1 } against it',
    });
  }
  const workloads: Workload[] = [];
  const peers = scenario.peers
    ? createPeersWorkload({
        perAgent: scenario.peers.perAgent,
        updateRate: scenario.peers.updateRate,
        jitter: scenario.peers.jitter,
        drainWindowMs: scenario.peers.drainWindow,
        auth: scenario.peers.auth,
        schedule,
        durationMs: scenario.duration,
      })
    : undefined;
  if (plan.peakAgents > 0) {
    const agentUpdateRate = scenario.peers?.agentUpdateRate;
    workloads.push(
      createAgentFleet({
        ...scenario.agents,
        nodeUpdateInterval: agentUpdateRate && agentUpdateRate > 0 ? 1000 / agentUpdateRate : scenario.agents.nodeUpdateInterval,
        schedule,
        durationMs: scenario.duration,
        observer: peers?.observer,
      }),
    );
  }
  if (peers) workloads.push(peers.workload);
  if (scenario.rest) {
    workloads.push(
      createRestWorkload({
        mix: scenario.rest.mix,
        model: scenario.rest.model,
        connections: scenario.rest.connections,
        pipelining: scenario.rest.pipelining,
        rate: scenario.rest.rate,
        durationMs: scenario.rest.duration ?? scenario.duration,
        amount: scenario.rest.amount,
        startAfterMs: scenario.rest.startAfter,
        timeoutMs: scenario.agents.requestTimeout,
      }),
    );
  }
  return workloads;
}
