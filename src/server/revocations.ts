import { createRng, type Rng } from '../core/rng.js';
import type { Coordinator } from './coordinator/coordinator.js';
import type { AgentRecord, AgentStore } from './store.js';

/**
 * Agent tokens the server has stopped accepting (the `revoke-tokens` fault): a seeded share of
 * every provisioned agent, so the same seed revokes the same agents. Authentication checks
 * `store.revoked` (src/server/http/auth.ts), so a revoked token gets the same 401 as a token
 * coderd has never heard of (protocol §2.2).
 */
export class TokenRevocations {
  private rounds = 0;

  constructor(
    private readonly store: AgentStore,
    private readonly seed: string,
  ) {}

  /**
   * Revokes tokens until `round(fraction × agents)` are revoked (those already revoked count).
   * Returns the agents revoked by this call.
   */
  revoke(fraction: number): AgentRecord[] {
    const { store } = this;
    const want = Math.round(clamp01(fraction) * store.list.length) - store.revoked.size;
    if (want <= 0) return [];
    const candidates = store.list.filter((a) => !store.revoked.has(a.id));
    const picked = seededPick(candidates, want / candidates.length, createRng(`${this.seed}/revoke/${this.rounds++}`));
    for (const agent of picked) store.revoked.add(agent.id);
    return picked;
  }

  /** Accepts every token again; returns how many were restored. */
  restore(): number {
    const restored = this.store.revoked.size;
    this.store.revoked.clear();
    return restored;
  }
}

/** `round(fraction × items)` of `items`, picked by a seeded shuffle (Fisher–Yates). */
export function seededPick<T>(items: readonly T[], fraction: number, rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, Math.round(clamp01(fraction) * copy.length));
}

/** Closes the v1 coordinate socket or v2 session of each agent; returns how many were open. */
export function dropSockets(coordinator: Coordinator, agents: readonly AgentRecord[]): number {
  const ids = agents.filter((a) => a.socket).map((a) => a.id);
  let dropped = ids.length > 0 ? coordinator.dropAgents(ids) : 0;
  for (const agent of agents) {
    const session = agent.v2?.session;
    if (!session) continue;
    session.drop('close');
    dropped++;
  }
  return dropped;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
