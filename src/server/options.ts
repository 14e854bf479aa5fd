import type { Clock } from '../core/clock.js';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { CostModelOptions } from './http/cost-model.js';

/** Options of the embedded reference server (all optional; defaults follow coderd). */
export interface ReferenceServerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 0 = any free port). */
  port?: number;
  /** Agents (workspaces) provisioned at start (default 0; more with provision()). */
  agents?: number;
  /** Fixtures seed (default '1'): same seed, same fixtures, tokens included. */
  seed?: string;
  /**
   * Provision only one shard's agents (runner/shard.ts): the server's agent `j` is the fleet's
   * agent `index + j·count`, with that agent's fixtures and token. Default: every agent.
   */
  agentSlice?: { index: number; count: number };
  /** /api/v2 requests per minute per IP+path (default 512; <= 0 disables). */
  rateLimit?: number;
  /** report-stats `report_interval` in ms (default 600000 = 10 min). */
  reportIntervalMs?: number;
  /** Connection heartbeat (coderd AgentConnectionUpdateFrequency, default 3000). */
  heartbeatMs?: number;
  /** Inactive-disconnect threshold (default 2 × heartbeatMs). */
  inactiveMs?: number;
  /** Server → peer WebSocket ping interval (default 15000). */
  pingIntervalMs?: number;
  /** X-Coder-Build-Version (default v0.15.3-devel+fleetsim). */
  buildVersion?: string;
  /** Largest accepted request body; larger ones get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** listen() backlog (default 4096). */
  backlog?: number;
  /**
   * Wildcard app hostname, e.g. `*.apps.example.com` (default none, which gives coderd's quirky
   * `vscode_port_proxy_uri` of `":<port>"`, protocol §5.2).
   */
  appHostname?: string;
  /**
   * Generate the instance-identity trust material at start and put it in the credentials
   * (default true). It costs seconds of CPU on a busy machine; with false it is generated on the
   * first identity request instead and `credentials.identity` is absent.
   */
  identity?: boolean;
  /**
   * Agent API generations served (default both, as coderd 2.8–2.12 did). Without `v2`,
   * /me/rpc answers 404 like coderd before 2.8 and /{id}/coordinate ignores `version` (v1
   * JSON). Without `v1`, the agent routes coderd 2.13 removed answer 404 and /{id}/coordinate
   * refuses `version` 1.x (docs/protocol-v2.md §7).
   */
  protocols?: readonly ('v1' | 'v2')[];
  /**
   * Cost model, a testing aid (default none): every request waits for one of `workers` serial
   * workers taking `serviceTimeMs` each, so the server saturates at workers / serviceTime
   * requests per second (http/cost-model.ts).
   */
  capacity?: CostModelOptions;
  /**
   * A simulated workspace owner for git-auth `listen` polls (default none: only
   * `server.gitAuth.link()` answers them, as only a person signing in does in coderd):
   * `answerAfterMs` after a poll starts waiting, the owner signs in with a link valid for
   * `linkTtlMs` (default 1 h), releasing every poll on that provider (src/server/git-auth-links.ts).
   */
  gitAuth?: { answerAfterMs: number; linkTtlMs?: number };
  /**
   * Metadata descriptions of every agent's v2 manifest, as coderd copies them from the template's
   * `metadata` blocks (docs/protocol-v2.md §5.1); v2 agents report each key every `intervalSeconds`
   * with BatchUpdateMetadata. Default {@link DEFAULT_AGENT_METADATA}; `[]` for none.
   */
  metadata?: readonly AgentMetadataDescription[];
  /** Injected time source (tests); wallNow() drives every timestamp, status and rate window. */
  clock?: Clock;
  log?: Logger;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  agents: number;
  seed: string;
  agentSlice: { index: number; count: number };
  rateLimit: number;
  reportIntervalMs: number;
  heartbeatMs: number;
  inactiveMs: number;
  pingIntervalMs: number;
  buildVersion: string;
  maxBodyBytes: number;
  backlog: number;
  appHostname?: string;
  identity: boolean;
  protocols: { v1: boolean; v2: boolean };
  capacity?: CostModelOptions;
  gitAuth?: { answerAfterMs: number; linkTtlMs: number };
  metadata: readonly AgentMetadataDescription[];
}

/** One template `metadata` block (intervals and timeouts in whole seconds, as coderd stores them). */
export interface AgentMetadataDescription {
  key: string;
  displayName: string;
  script: string;
  intervalSeconds: number;
  timeoutSeconds: number;
}

/** Two readings a template commonly shows (Coder's examples use `coder stat`). */
export const DEFAULT_AGENT_METADATA: readonly AgentMetadataDescription[] = Object.freeze([
  { key: 'cpu_usage', displayName: 'CPU Usage', script: 'coder stat cpu', intervalSeconds: 10, timeoutSeconds: 1 },
  { key: 'ram_usage', displayName: 'RAM Usage', script: 'coder stat mem', intervalSeconds: 30, timeoutSeconds: 1 },
]);

export function resolveOptions(o: ReferenceServerOptions): ResolvedOptions {
  const heartbeatMs = o.heartbeatMs ?? 3_000;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    agents: o.agents ?? 0,
    seed: o.seed ?? '1',
    agentSlice: o.agentSlice ?? { index: 0, count: 1 },
    rateLimit: o.rateLimit ?? 512,
    reportIntervalMs: o.reportIntervalMs ?? 600_000,
    heartbeatMs,
    inactiveMs: o.inactiveMs ?? 2 * heartbeatMs,
    pingIntervalMs: o.pingIntervalMs ?? 15_000,
    buildVersion: o.buildVersion ?? 'v0.15.3-devel+fleetsim',
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    backlog: o.backlog ?? 4096,
    appHostname: o.appHostname,
    identity: o.identity ?? true,
    protocols: resolveProtocols(o.protocols),
    capacity: resolveCapacity(o.capacity),
    gitAuth: resolveGitAuth(o.gitAuth),
    metadata: resolveMetadata(o.metadata ?? DEFAULT_AGENT_METADATA),
  };
}

function resolveMetadata(list: readonly AgentMetadataDescription[]): readonly AgentMetadataDescription[] {
  const keys = new Set<string>();
  for (const d of list) {
    if (d.key === '' || keys.has(d.key)) throw new FleetsimError('usage', `server.metadata: key ${JSON.stringify(d.key)} is empty or repeated`);
    keys.add(d.key);
    for (const field of ['intervalSeconds', 'timeoutSeconds'] as const) {
      if (!(Number.isInteger(d[field]) && d[field] >= 0)) throw new FleetsimError('usage', `server.metadata ${d.key}: ${field} must be a whole number >= 0`);
    }
  }
  return list.map((d) => ({ ...d }));
}

function resolveGitAuth(g: ReferenceServerOptions['gitAuth']): ResolvedOptions['gitAuth'] {
  if (g === undefined) return undefined;
  if (!(Number.isFinite(g.answerAfterMs) && g.answerAfterMs >= 0)) {
    throw new FleetsimError('usage', `server.gitAuth.answerAfter must be 0 ms or more, got ${g.answerAfterMs}`);
  }
  const linkTtlMs = g.linkTtlMs ?? 3_600_000;
  if (!(Number.isFinite(linkTtlMs) && linkTtlMs > 0)) {
    throw new FleetsimError('usage', `server.gitAuth.linkTtl must be greater than 0 ms, got ${linkTtlMs}`);
  }
  return { answerAfterMs: g.answerAfterMs, linkTtlMs };
}

function resolveCapacity(c: CostModelOptions | undefined): CostModelOptions | undefined {
  if (c === undefined) return undefined;
  if (!(Number.isFinite(c.serviceTimeMs) && c.serviceTimeMs > 0)) {
    throw new FleetsimError('usage', `server.capacity.serviceTime must be greater than 0 ms, got ${c.serviceTimeMs}`);
  }
  if (!(Number.isInteger(c.workers) && c.workers >= 1)) {
    throw new FleetsimError('usage', `server.capacity.workers must be a whole number >= 1, got ${c.workers}`);
  }
  return { serviceTimeMs: c.serviceTimeMs, workers: c.workers, ...(c.endpoints ? { endpoints: [...c.endpoints] } : {}) };
}

function resolveProtocols(list: readonly string[] | undefined): { v1: boolean; v2: boolean } {
  if (list === undefined) return { v1: true, v2: true };
  const unknown = list.filter((p) => p !== 'v1' && p !== 'v2');
  if (unknown.length > 0) {
    throw new FleetsimError('usage', `server.protocols: unknown protocol ${unknown.map((p) => JSON.stringify(p)).join(', ')}`, {
      hint: "use 'v1' and/or 'v2'",
    });
  }
  if (list.length === 0) throw new FleetsimError('usage', 'server.protocols: empty', { hint: "use 'v1' and/or 'v2'" });
  return { v1: list.includes('v1'), v2: list.includes('v2') };
}
