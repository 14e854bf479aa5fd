import { FleetsimError } from '../core/errors.js';
import { agentCountAt, type Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { createCoordinateTap } from '../workloads/coordinate-observer.js';
import type { AnyWorkloadKind, WorkloadEnv } from '../workloads/kind.js';
import { WORKLOAD_KINDS } from '../workloads/registry.js';
import type { Workload } from '../workloads/workload.js';
import type { RunTarget } from './target.js';

/**
 * Maps a validated scenario onto workload instances: one per section present, made by its kind
 * (src/workloads/registry.ts) in registry order. Every workload gets the same context at run
 * time; the env links them (the plan's schedule, the agents' coordinate tap for peers).
 */
export async function buildWorkloads(
  given: Scenario,
  plan: Plan,
  target: RunTarget,
  /** Agents wanted over time; default the plan's timeline (a shard passes its slice's). */
  schedule: (elapsedMs: number) => number = (elapsedMs) => agentCountAt(plan, elapsedMs),
): Promise<Workload[]> {
  // `agents.protocol: auto` was resolved against the target (startTarget): every kind sees v1 or v2.
  const setting = given.agents.protocol;
  const protocol = target.target.protocol ?? (setting === 'auto' ? 'v1' : setting);
  const scenario: Scenario = { ...given, agents: { ...given.agents, protocol } };
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
      hint: "a real Coder trusts only the clouds' keys: use agents.auth: { token: 1 } against it",
    });
  }
  const env: WorkloadEnv = {
    durationMs: scenario.duration,
    plan,
    schedule,
    agents: scenario.agents,
    coordinate: createCoordinateTap(),
    sourceAddresses: scenario.sourceAddresses ?? [],
  };
  const workloads: Workload[] = [];
  for (const [key, kind] of Object.entries(WORKLOAD_KINDS) as [keyof typeof WORKLOAD_KINDS, AnyWorkloadKind][]) {
    const config = scenario[key];
    if (config === undefined) continue;
    const workload = await kind.create(config, env);
    if (workload) workloads.push(workload);
  }
  return workloads;
}
