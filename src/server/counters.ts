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
  };
}
