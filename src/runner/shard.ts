/**
 * Shards: one run split over N processes (or machines), each running the K-th slice of the same
 * fleet, so that the N slices together are exactly the one-process run.
 *
 * The split is by global agent index, interleaved: agent `i` belongs to shard `i mod N`
 * (K is 0-based, like a Kubernetes Indexed Job's JOB_COMPLETION_INDEX). Interleaving keeps the
 * ramps aligned: the fleet starts agents in index order and stops the highest index first, so
 * when the whole run has `c` agents up, shard K has exactly the agents `K, K+N, K+2N, … < c`,
 * started at the moment the one-process run would start each of them. Contiguous ranges would
 * instead ramp shard 0 first and the last shard last.
 *
 * What follows an agent into its shard: its credential (token, id, apps), its random stream
 * (`agent-<i>` is forked from the run seed with the global index), its peers and PTY sessions
 * (they follow the shard's agents and are keyed by agent id), and its share of the REST load. Faults apply in every shard with the same
 * fraction, to that shard's own agents. Pure: no I/O.
 */
import { FleetsimError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Credentials } from '../protocol/credentials.js';
import { agentCountAt, type Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';

/** Shard K of N (0 ≤ K < N). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The part of the run one shard carries (written into its shard file and summary plan). */
export interface ShardSlice {
  index: number;
  count: number;
  /** The assignment rule, in words. */
  agents: string;
  /** Most agents this shard runs at once. */
  peakAgents: number;
  /** Agents this shard starts over the run. */
  agentStarts: number;
  /** This shard's share of the REST load; null when it has none (fewer connections than shards). */
  rest: { connections: number; rate?: number; amount?: number } | null;
}

/** Parses `K/N` (the `--shard` flag). Usage error on anything else, K ≥ N or N < 1. */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) {
    throw new FleetsimError('usage', `--shard must be K/N (shard K of N, K counted from 0), got ${JSON.stringify(text)}`, {
      hint: 'e.g. --shard 0/4 … --shard 3/4; in a Kubernetes Indexed Job use --shard $JOB_COMPLETION_INDEX/4',
    });
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new FleetsimError('usage', `--shard ${text}: N must be at least 1`);
  if (index >= count) {
    throw new FleetsimError('usage', `--shard ${text}: K must be less than N (shards are numbered 0 to ${count - 1})`);
  }
  return { index, count };
}

/** Global index of the shard's `local`-th agent. */
export function globalAgentIndex(shard: ShardSpec, local: number): number {
  return shard.index + local * shard.count;
}

/** How many of the agents `0 … total-1` belong to the shard. */
export function shardAgentCount(shard: ShardSpec, total: number): number {
  return total > shard.index ? Math.floor((total - shard.index - 1) / shard.count) + 1 : 0;
}

/** The shard's agent timeline: its agents up `elapsedMs` after the start. */
export function shardSchedule(plan: Pick<Plan, 'phases'>, shard: ShardSpec): (elapsedMs: number) => number {
  return (elapsedMs) => shardAgentCount(shard, agentCountAt(plan, elapsedMs));
}

/** The shard's part of a planned run. */
export function shardSlice(plan: Plan, scenario: Scenario, shard: ShardSpec): ShardSlice {
  const count = (n: number) => shardAgentCount(shard, n);
  const peakAgents = plan.phases.reduce((max, p) => Math.max(max, count(p.from), count(p.to)), 0);
  // The shard count is monotone in the whole run's count, so each rise starts count(to) - count(from).
  const agentStarts = plan.phases.reduce((sum, p) => sum + Math.max(0, count(p.to) - count(p.from)), count(plan.phases[0]?.from ?? 0));
  return {
    index: shard.index,
    count: shard.count,
    agents: `agent i runs in shard i mod ${shard.count}`,
    peakAgents,
    agentStarts,
    rest: restShare(scenario.rest, shard),
  };
}

/**
 * The shard's share of the REST load: the connections are dealt out one by one (shard K gets
 * one more while K < connections mod N), and the rate and the amount are split evenly over the
 * shards that got a connection. So the shards' connections, rates and amounts add up to the
 * scenario's.
 */
export function restShare(rest: Scenario['rest'], shard: ShardSpec): ShardSlice['rest'] {
  if (!rest) return null;
  const { index, count } = shard;
  const connections = Math.floor(rest.connections / count) + (index < rest.connections % count ? 1 : 0);
  if (connections === 0) return null;
  const active = Math.min(count, rest.connections);
  const share: NonNullable<ShardSlice['rest']> = { connections };
  if (rest.rate !== undefined) share.rate = rest.rate / active;
  if (rest.amount !== undefined) {
    const amount = Math.floor(rest.amount / active) + (index < rest.amount % active ? 1 : 0);
    if (amount === 0) return null;
    share.amount = amount;
  }
  return share;
}

/** The scenario as the shard runs it: the same, with its share of the REST load. */
export function shardScenario(scenario: Scenario, slice: ShardSlice): Scenario {
  if (!scenario.rest) return scenario;
  if (!slice.rest) return { ...scenario, rest: undefined };
  const rest = { ...scenario.rest, connections: slice.rest.connections };
  if (slice.rest.rate !== undefined) rest.rate = slice.rest.rate;
  if (slice.rest.amount !== undefined) rest.amount = slice.rest.amount;
  return { ...scenario, rest };
}

/**
 * The credentials a shard uses from a file that lists the whole fleet: the agents of its slice,
 * in order, so its local agent `j` is the global agent `K + j·N`. (The embedded server of a
 * shard provisions only the slice, so its credentials are the slice already.)
 */
export function shardCredentials(credentials: Credentials, shard: ShardSpec): Credentials {
  if (shard.count === 1) return credentials;
  return { ...credentials, agents: credentials.agents.filter((_, i) => i % shard.count === shard.index) };
}

/** The label the agent fleet forks each agent's random stream with (workloads/agents/fleet.ts). */
const AGENT_STREAM = /^agent-(\d+)$/;

/**
 * The run's random source as a shard sees it: the fleet numbers the shard's agents 0, 1, … and
 * forks `agent-<local>`; this maps that to `agent-<global>`, so every agent draws the same
 * values (auth mode, lifecycle outcome, jitter) whichever shard it runs in. Every other stream
 * (peers are keyed by agent id) is unchanged.
 */
export function shardRng(rng: Rng, shard: ShardSpec): Rng {
  if (shard.count === 1) return rng;
  return {
    ...rng,
    fork: (label) => {
      const match = AGENT_STREAM.exec(String(label));
      return rng.fork(match ? `agent-${globalAgentIndex(shard, Number(match[1]))}` : label);
    },
  };
}
