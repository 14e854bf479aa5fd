import type { WebSocket } from 'ws';
import { emptyAgentCounters, type AgentCounters } from './counters.js';
import type { FixtureAgent } from './fixtures.js';
import type { AgentV2State } from './v2/agent-state.js';

/**
 * The database-like state of the reference server: one record per agent with the columns the
 * status algorithm of protocol §6 reads, plus counters and response caches.
 * Times are epoch ms rounded to µs (coderd's database.Now()).
 */
export type LifecycleState =
  | 'created'
  | 'starting'
  | 'start_timeout'
  | 'start_error'
  | 'ready'
  // The shutdown states exist in the v2 API only (docs/protocol-v2.md §3.2).
  | 'shutting_down'
  | 'shutdown_timeout'
  | 'shutdown_error'
  | 'off';
/** The states v1's report-lifecycle accepts. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = ['created', 'starting', 'start_timeout', 'start_error', 'ready'];

export type AppHealth = 'disabled' | 'initializing' | 'healthy' | 'unhealthy';

export interface AgentRecord extends FixtureAgent {
  createdAt: number;
  updatedAt: number;
  firstConnectedAt?: number;
  lastConnectedAt?: number;
  disconnectedAt?: number;
  lifecycleState: LifecycleState;
  version: string;
  appHealth: Map<string, AppHealth>;
  /** Bumped on every change that alters a rendered body (caches compare it). */
  revision: number;
  /** The agent coordinate socket coderd would treat as current (the newest one). */
  socket?: WebSocket;
  counters: AgentCounters;
  touched: boolean;
  /** Columns only the v2 API writes (created on first use, src/server/v2/agent-state.ts). */
  v2: AgentV2State | undefined;
  cache: {
    metadata?: { revision: number; body: Buffer };
    view?: { key: string; revision: number; node: unknown; body: Buffer };
  };
}

/** database.Now(): UTC rounded to microseconds. */
export function dbTime(wallMs: number): number {
  return Math.round(wallMs * 1000) / 1000;
}

export class AgentStore {
  readonly byId = new Map<string, AgentRecord>();
  readonly byToken = new Map<string, AgentRecord>();
  readonly byInstanceId = new Map<string, AgentRecord>();
  readonly list: AgentRecord[] = [];
  /** Ids of agents whose token is revoked (the revoke-tokens fault; src/server/revocations.ts). */
  readonly revoked = new Set<string>();

  add(fixture: FixtureAgent, nowMs: number): AgentRecord {
    const created = dbTime(nowMs);
    // Every field listed (no `...fixture`): spreading gave nearly every record its own hidden
    // class, which made each property access on records megamorphic (~µs per heartbeat write).
    const record: AgentRecord = {
      id: fixture.id,
      token: fixture.token,
      name: fixture.name,
      workspaceId: fixture.workspaceId,
      workspaceName: fixture.workspaceName,
      resourceId: fixture.resourceId,
      instanceId: fixture.instanceId,
      architecture: fixture.architecture,
      operatingSystem: fixture.operatingSystem,
      directory: fixture.directory,
      startupScript: fixture.startupScript,
      startupScriptTimeoutSeconds: fixture.startupScriptTimeoutSeconds,
      motdFile: fixture.motdFile,
      environmentVariables: fixture.environmentVariables,
      connectionTimeoutSeconds: fixture.connectionTimeoutSeconds,
      troubleshootingUrl: fixture.troubleshootingUrl,
      loginBeforeReady: fixture.loginBeforeReady,
      apps: fixture.apps,
      listeningPorts: fixture.listeningPorts,
      createdAt: created,
      updatedAt: created,
      lifecycleState: 'created',
      version: '',
      appHealth: new Map(fixture.apps.map((a) => [a.id, a.healthcheck ? 'initializing' : 'disabled'])),
      revision: 0,
      counters: emptyAgentCounters(),
      touched: false,
      v2: undefined,
      cache: {},
    };
    this.byId.set(record.id, record);
    this.byToken.set(record.token, record);
    this.byInstanceId.set(record.instanceId, record);
    this.list.push(record);
    return record;
  }

  /** Marks the agent for the counters snapshot and returns its counters. */
  count(agent: AgentRecord): AgentCounters {
    agent.touched = true;
    return agent.counters;
  }
}
