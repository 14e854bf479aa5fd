import type { CoordinateObserver } from '../coordinate-observer.js';

/** Instance-identity and token auth modes of a real agent (protocol §9, `--auth`). */
export type AuthMode = 'token' | 'aws' | 'azure' | 'google';
export type LifecycleOutcome = 'ready' | 'start_error' | 'start_timeout';
/** Which agent API the fleet speaks: v1 REST + JSON coordinate (docs/protocol.md) or v2 dRPC
 * over `/me/rpc` (docs/protocol-v2.md). */
export type AgentProtocol = 'v1' | 'v2';

/**
 * Options of the fake agent fleet: the scenario's `agents` section (schema.md) with durations in
 * ms, plus what the runner supplies. Every field of the scenario section is optional here and
 * gets the schema's default, so tests and benches can pass only what they care about.
 */
export interface AgentFleetOptions {
  /** Peak agents (when given, checked against the credentials before anything starts). */
  count?: number;
  /** Agent API (default v1). */
  protocol?: AgentProtocol;
  /** v2 only: the `version` asked for on /me/rpc (default 2.2, the API of Coder v2.13,
   * docs/protocol-v2.md "Which protocol for which Coder version"). */
  apiVersion?: string;
  auth?: Partial<Record<AuthMode, number>>;
  version?: string;
  nodeUpdateInterval?: number;
  nodeUpdateJitter?: number;
  apps?: { checkInterval?: number; healthyAfter?: number; flapRate?: number };
  lifecycle?: { outcomes?: Partial<Record<LifecycleOutcome, number>>; startupDuration?: number };
  gitauth?: number;
  pingInterval?: number;
  pingTimeout?: number;
  requestTimeout?: number;
  /** Agents wanted `elapsedMs` after the fleet started (the runner passes agentCountAt(plan)). */
  schedule: (elapsedMs: number) => number;
  /** The fleet stops by itself after this long (the run's AbortSignal may stop it earlier). */
  durationMs: number;
  observer?: CoordinateObserver;
  /** Bound on pooled REST connections to the target (default 256). */
  maxHttpConnections?: number;
  /** Bound on agents on their way up (auth → version → metadata → coordinate handshake) at once
   * (default 256): a step to thousands of agents then ramps as fast as the target admits them. */
  maxConcurrentDials?: number;
  /** Source addresses for coordinate sockets (agent i uses entry i mod n), e.g. 127.0.0.2…: one
   * source address only reaches ~14k sockets to one server port
   * (docs/benchmarks.md#ephemeral-ports-and-connections-per-address-pair). */
  localAddresses?: string[];
  /** Schedule tick (default 100 ms); starts are spread evenly inside a tick. */
  tickMs?: number;
  /** Git URL asked by the gitauth share (default a GitHub URL). */
  gitAuthUrl?: string;
}

/** Options with every default applied. */
export interface ResolvedFleetOptions {
  protocol: AgentProtocol;
  apiVersion: string;
  auth: Record<AuthMode, number>;
  version: string;
  nodeUpdateInterval: number;
  nodeUpdateJitter: number;
  apps: { checkInterval: number; healthyAfter: number; flapRate: number };
  lifecycle: { outcomes: Record<LifecycleOutcome, number>; startupDuration: number };
  gitauth: number;
  gitAuthUrl: string;
  pingInterval: number;
  pingTimeout: number;
  requestTimeout: number;
  maxHttpConnections: number;
  maxConcurrentDials: number;
  localAddresses: string[];
  tickMs: number;
}

/** The v2 API version a fake agent asks for unless told otherwise: Coder v2.13's (the first v2-only release). */
export const DEFAULT_V2_API_VERSION = '2.2';

export function resolveFleetOptions(options: AgentFleetOptions): ResolvedFleetOptions {
  const auth = options.auth ?? { token: 1 };
  const outcomes = options.lifecycle?.outcomes ?? { ready: 1 };
  return {
    protocol: options.protocol ?? 'v1',
    apiVersion: options.apiVersion ?? DEFAULT_V2_API_VERSION,
    auth: { token: auth.token ?? 0, aws: auth.aws ?? 0, azure: auth.azure ?? 0, google: auth.google ?? 0 },
    version: options.version ?? 'v0.15.3',
    nodeUpdateInterval: options.nodeUpdateInterval ?? 30_000,
    nodeUpdateJitter: options.nodeUpdateJitter ?? 0.1,
    apps: {
      checkInterval: options.apps?.checkInterval ?? 1000,
      healthyAfter: options.apps?.healthyAfter ?? 2000,
      flapRate: options.apps?.flapRate ?? 0,
    },
    lifecycle: {
      outcomes: { ready: outcomes.ready ?? 0, start_error: outcomes.start_error ?? 0, start_timeout: outcomes.start_timeout ?? 0 },
      startupDuration: options.lifecycle?.startupDuration ?? 1000,
    },
    gitauth: options.gitauth ?? 0,
    gitAuthUrl: options.gitAuthUrl ?? 'https://github.com/coder/coder.git',
    pingInterval: options.pingInterval ?? 30_000,
    pingTimeout: options.pingTimeout ?? 30_000,
    requestTimeout: options.requestTimeout ?? 10_000,
    maxHttpConnections: options.maxHttpConnections ?? 256,
    maxConcurrentDials: options.maxConcurrentDials ?? 256,
    localAddresses: options.localAddresses ?? [],
    tickMs: options.tickMs ?? 100,
  };
}
