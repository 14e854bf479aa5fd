import type { AgentRecord } from '../store.js';
import type { AgentSessionRef } from './rpc-session.js';

/**
 * The agent-row columns only the v2 API writes (docs/protocol-v2.md §5), kept beside the v1
 * record as `agent.v2` and created on first use, so agents that never speak v2 cost nothing.
 */
export interface MetadataValue {
  value: string;
  error: string;
  /** Server time (epoch ms): coderd ignores the agent's collected_at. */
  collectedAt: number;
}

export interface AgentV2State {
  /** started_at / ready_at from UpdateLifecycle (epoch ms). */
  startedAt?: number;
  readyAt?: number;
  /** From UpdateStartup. */
  expandedDirectory: string;
  /** DB names, deduplicated and sorted. */
  subsystems: string[];
  /** The API version the agent's session negotiated, stored by UpdateStartup. */
  apiVersion: string;
  metadata: Map<string, MetadataValue>;
  /** Total stored log output bytes (the `max_logs_length` constraint counts these). */
  logsLength: number;
  logsOverflowed: boolean;
  /** Log sources seen (the External source is added for the all-zero id). */
  logSources: Set<string>;
  /** The v2 session coderd would treat as current (the newest /me/rpc). */
  session?: AgentSessionRef;
  /** The agent's latest tailnet node (v2 coordinator), for GET /{id} latency. */
  latencyNode?: { derp_latency: Record<string, number> | null; preferred_derp: number };
}

export function agentV2(agent: AgentRecord): AgentV2State {
  agent.v2 ??= {
    expandedDirectory: '',
    subsystems: [],
    apiVersion: '',
    metadata: new Map(),
    logsLength: 0,
    logsOverflowed: false,
    logSources: new Set(),
  };
  return agent.v2;
}
