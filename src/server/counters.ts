/**
 * What the server saw, so an integration test can check exact agreement with the harness.
 * Every count is of requests the server *answered with success* (2xx / 101) unless named
 * otherwise; plain JSON so it crosses the child-process IPC unchanged.
 */
export interface AgentCounters {
  /** POST /me/report-stats answered 200. */
  reportStats: number;
  /** …of which had rx_bytes = tx_bytes = 0 (the short-circuit, no store write). */
  reportStatsZero: number;
  /** POST /me/app-health answered 200. */
  appHealth: number;
  /** Lifecycle states accepted (204), in arrival order. */
  lifecycleStates: string[];
  /** POST /me/version answered 200. */
  versionPosts: number;
  metadataGets: number;
  gitsshkeyGets: number;
  /** GET /me/gitauth answered 200 (a listen poll counts when it is answered). */
  gitauthGets: number;
  /** Agent coordinate sockets upgraded / closed. */
  coordinateOpened: number;
  coordinateClosed: number;
  /** The agent has a current coordinate socket now. */
  connected: boolean;
  /** Remote address of the agent's latest coordinate or /me/rpc socket (which source address it bound). */
  remoteAddress?: string;
  /** What the agent did over the v2 API (/me/rpc); all zero for a v1-only agent. */
  v2: AgentV2Counters;
}

/**
 * Per-agent v2 counts (docs/protocol-v2.md §5). `calls`/`errors` are keyed by the RPC's method
 * name without the service (`UpdateStats`, `Coordinate`, `StreamDERPMaps`…): a unary call counts
 * when it is answered, a stream when it is accepted.
 */
export interface AgentV2Counters {
  /** GET /me/rpc upgraded / that session ended. */
  rpcOpened: number;
  rpcClosed: number;
  /** The agent has a current v2 session now. */
  connected: boolean;
  /** RPCs answered with success, by method name. */
  calls: Record<string, number>;
  /** RPCs answered with a dRPC error, by method name. */
  errors: Record<string, number>;
  /** UpdateStats without `stats` (the agent asking for the interval). */
  statsIntervalOnly: number;
  /** UpdateStats carrying a report. */
  statsReports: number;
  /** Lifecycle states accepted (DB names, e.g. `ready`), in arrival order. */
  lifecycleStates: string[];
  /** App health updates in accepted batches (unchanged healths included). */
  appHealthUpdates: number;
  /** Metadata keys stored (keys past the 6144-byte limit are not counted). */
  metadataKeys: number;
  /** Metadata values stored, by key. */
  metadataByKey: Record<string, number>;
  /**
   * The last stats report's session counts: the deprecated per-client fields under `vscode`,
   * `jetbrains`, `reconnecting_pty`, `ssh`, and the `session_counts` map (API 2.11) as sent.
   */
  lastSessionCounts: { fields: Record<string, number>; map: Record<string, number> } | undefined;
  /** Log lines and output bytes stored. */
  logLines: number;
  logBytes: number;
  /** BatchCreateLogs answers with log_limit_exceeded. */
  logLimitExceeded: number;
  scriptsCompleted: number;
  connectionReports: number;
  /** Coordinate update_self nodes accepted from the agent. */
  nodeUpdates: number;
  /** PeerUpdates sent to the agent on its Coordinate stream. */
  peerUpdatesSent: number;
}

/** Server-wide v2 totals. */
export interface V2Totals {
  rpcOpened: number;
  rpcClosed: number;
  /** Agents with a current v2 session now. */
  agentsConnected: number;
  /** v2 client coordinate sessions (/{id}/coordinate?version=2.x) upgraded / ended. */
  clientRpcOpened: number;
  clientRpcClosed: number;
  /** Upgrades refused for the `version` parameter (400). */
  versionRejected: number;
  /** Every call on every session (agent and client), by method name. */
  calls: Record<string, number>;
  errors: Record<string, number>;
  /** PeerUpdates sent on every Coordinate stream. */
  peerUpdatesSent: number;
}

export interface ServerCounters {
  totals: {
    reportStats: number;
    reportStatsZero: number;
    appHealth: number;
    lifecycleStates: number;
    versionPosts: number;
    metadataGets: number;
    gitsshkeyGets: number;
    gitauthGets: number;
    coordinateOpened: number;
    coordinateClosed: number;
    /** Agents with a current coordinate socket now. */
    agentsConnected: number;
    clientCoordinateOpened: number;
    clientCoordinateClosed: number;
    ptyOpened: number;
    /** Successful identity exchanges (200) by provider. */
    identityExchanges: { aws: number; azure: number; google: number };
    /** Every HTTP request and upgrade received (including rejected ones). */
    requests: number;
    rateLimited: number;
    faultsInjected: number;
    /** TCP connections accepted, by remote address (how `--source-addresses` spread them). */
    connectionsByRemoteAddress: Record<string, number>;
    v2: V2Totals;
  };
  /** Keyed by agent id; only agents that were touched at least once appear. */
  agents: Record<string, AgentCounters>;
}

export function emptyAgentCounters(): AgentCounters {
  return {
    reportStats: 0,
    reportStatsZero: 0,
    appHealth: 0,
    lifecycleStates: [],
    versionPosts: 0,
    metadataGets: 0,
    gitsshkeyGets: 0,
    gitauthGets: 0,
    coordinateOpened: 0,
    coordinateClosed: 0,
    connected: false,
    v2: emptyAgentV2Counters(),
  };
}

export function emptyAgentV2Counters(): AgentV2Counters {
  return {
    rpcOpened: 0,
    rpcClosed: 0,
    connected: false,
    calls: {},
    errors: {},
    statsIntervalOnly: 0,
    statsReports: 0,
    lifecycleStates: [],
    appHealthUpdates: 0,
    metadataKeys: 0,
    metadataByKey: {},
    lastSessionCounts: undefined,
    logLines: 0,
    logBytes: 0,
    logLimitExceeded: 0,
    scriptsCompleted: 0,
    connectionReports: 0,
    nodeUpdates: 0,
    peerUpdatesSent: 0,
  };
}

/** A deep copy for counters() (the live objects keep changing). */
export function snapshotAgentCounters(c: AgentCounters): AgentCounters {
  const v2 = c.v2;
  return {
    ...c,
    lifecycleStates: [...c.lifecycleStates],
    v2: {
      ...v2,
      calls: { ...v2.calls },
      errors: { ...v2.errors },
      lifecycleStates: [...v2.lifecycleStates],
      metadataByKey: { ...v2.metadataByKey },
      lastSessionCounts: v2.lastSessionCounts && { fields: { ...v2.lastSessionCounts.fields }, map: { ...v2.lastSessionCounts.map } },
    },
  };
}

export function snapshotTotals(t: ServerCounters['totals']): ServerCounters['totals'] {
  return {
    ...t,
    identityExchanges: { ...t.identityExchanges },
    connectionsByRemoteAddress: { ...t.connectionsByRemoteAddress },
    v2: { ...t.v2, calls: { ...t.v2.calls }, errors: { ...t.v2.errors } },
  };
}

export function emptyTotals(): ServerCounters['totals'] {
  return {
    reportStats: 0,
    reportStatsZero: 0,
    appHealth: 0,
    lifecycleStates: 0,
    versionPosts: 0,
    metadataGets: 0,
    gitsshkeyGets: 0,
    gitauthGets: 0,
    coordinateOpened: 0,
    coordinateClosed: 0,
    agentsConnected: 0,
    clientCoordinateOpened: 0,
    clientCoordinateClosed: 0,
    ptyOpened: 0,
    identityExchanges: { aws: 0, azure: 0, google: 0 },
    requests: 0,
    rateLimited: 0,
    faultsInjected: 0,
    connectionsByRemoteAddress: {},
    v2: {
      rpcOpened: 0,
      rpcClosed: 0,
      agentsConnected: 0,
      clientRpcOpened: 0,
      clientRpcClosed: 0,
      versionRejected: 0,
      calls: {},
      errors: {},
      peerUpdatesSent: 0,
    },
  };
}
