/**
 * Every metric name and the endpoint route templates, in one place so workloads, the recorder,
 * thresholds and reporters agree on spelling.
 */
export const METRIC = {
  /** trend, tags {endpoint}: latency of every request or socket open, from its intended start. */
  request: 'request',
  /**
   * trend, tags {endpoint}: the part of a `request` sample spent inside fleetsim, from the
   * intended start until the request's bytes were handed to the socket (HTTP), written to its
   * yamux stream (v2 RPC) or the WebSocket dial began: waiting for a dial slot, a pooled
   * connection, a new connection's TCP connect, a late timer. See src/metrics/request-timing.ts.
   */
  requestQueued: 'request_queued',
  /** trend, tags {endpoint}: the rest of a `request` sample: handed to the socket → response
   * complete (for a WebSocket dial: TCP connect + upgrade, the same as `request_connect`). */
  requestService: 'request_service',
  /** trend, tags {endpoint}: WebSocket dials only: dial start → open (TCP connect + upgrade). */
  requestConnect: 'request_connect',
  /** count, tags {endpoint, class}: one failed request/socket event, classified (see error-class.ts). */
  error: 'error',
  /** gauge: agents planned by the scenario at this moment. */
  agentsPlanned: 'agents_planned',
  /** gauge: agents whose coordinate socket is open now. */
  agentsConnected: 'agents_connected',
  /** count: agents that obtained a working session token (first time only, per agent). */
  agentsAuthenticated: 'agents_authenticated',
  /**
   * count: an agent's first way up ended (once per agent instance): v1, its coordinate socket is
   * open and its first lifecycle and stats reports are answered; v2, its session is established;
   * or that first attempt failed (the agent then retries on its backoff). The runner ends the
   * run's `ramp` phase when every planned agent has counted here.
   */
  agentsStartupDone: 'agents_startup_done',
  /** count: coordinate-socket reconnects (an open after a drop). */
  agentsReconnects: 'agents_reconnects',
  /** count, tags {state}: lifecycle states accepted by the target (204). */
  lifecycleReported: 'lifecycle_reported',
  /** count: report-stats POSTs accepted (200). */
  statsReported: 'stats_reported',
  /** count: app-health POSTs accepted (200). */
  appHealthReported: 'app_health_reported',
  /** gauge: peers whose coordinate socket is open now. */
  peersConnected: 'peers_connected',
  /** count, tags {direction}: tagged node updates sent (direction agent_to_peer | peer_to_agent). */
  coordUpdatesSent: 'coord_updates_sent',
  /** count, tags {direction}: tagged updates delivered (first arrival per receiver). */
  coordUpdatesDelivered: 'coord_updates_delivered',
  /** trend, tags {direction}: send → receive latency of a tagged node update. */
  coordPropagation: 'coord_propagation',
  /** trend: peer socket open → first agent node received. */
  coordFirstNode: 'coord_first_node',
  /**
   * count, tags {kind: lost | disconnected}: a v2 peer heard that its agent is gone (LOST: the
   * agent's connection dropped; DISCONNECTED: it left gracefully). The peer stays connected.
   */
  coordAgentGone: 'coord_agent_gone',
  /** count, tags {direction}: updates never delivered by the end of the drain window. */
  coordLost: 'coord_lost',
  /** count, tags {direction}: an update delivered more than once to the same receiver. */
  coordDuplicated: 'coord_duplicated',
  /** count, tags {direction}: an update older than one already seen from the same sender. */
  coordOutOfOrder: 'coord_out_of_order',
  /** count: keep-alive connections the agents' REST client opened to the target (`agents.http`). */
  httpConnectionsOpened: 'http_connections_opened',
  /**
   * gauge (1 per process), tags {model: shared | per-agent, chosen: scenario | default |
   * fd-budget, openFilesLimit}: the REST connection model the fleet ran with (`agents.http`;
   * `fd-budget`: the default per-agent model did not fit the open-files limit, so the fleet
   * shares a pool). The limit is a tag, not the value: shards' gauges add up when merged.
   */
  httpModel: 'http_model',
  /** trend: PTY echo latency, intended send time of a write → its marker first seen in the output. */
  ptyEcho: 'pty_echo',
  /** count: PTY writes whose echo never came (session ended, or given up after 16384 newer writes). */
  ptyEchoLost: 'pty_echo_lost',
  /** count: PTY writes not sent because the socket already had over 1 MiB queued (target not reading). */
  ptyWritesSkipped: 'pty_writes_skipped',
  /** count: bytes of `data` typed into PTY sessions. */
  ptyBytesSent: 'pty_bytes_sent',
  /** count: bytes of terminal output received (replays included). */
  ptyBytesReceived: 'pty_bytes_received',
  /** count: PTY sessions that opened (first connection of a reconnect id). */
  ptySessions: 'pty_sessions',
  /** count: PTY sockets opened (first connections and reconnects). */
  ptyOpened: 'pty_opened',
  /** count: PTY dials that failed (HTTP refusal, network error); the class is in METRIC.error. */
  ptyFailed: 'pty_failed',
  /** count: reconnects with the same reconnect id that opened. */
  ptyReconnects: 'pty_reconnects',
  /** count, tags {code}: PTY sockets closed by the server or the network (not by the session). */
  ptyCloses: 'pty_closes',
  /** count: milliseconds PTY sockets were open, summed over sessions (for per-session rates). */
  ptyOpenMs: 'pty_open_ms',
  /** count: reconnect replays checked against the tail of what the session had received. */
  ptyReplayChecks: 'pty_replay_checks',
  /** count: replays that differed from that tail (or came short). */
  ptyReplayMismatches: 'pty_replay_mismatches',
  /** count, tags {endpoint}: an optional v2 RPC the target does not serve (dRPC code 12 or
   * `unknown rpc`); not an error, the agent just stops calling it for that session. */
  rpcUnsupported: 'rpc_unsupported',
  /** count: metadata entries in BatchUpdateMetadata calls the target accepted (v2). */
  metadataReported: 'metadata_reported',
  /** count: log lines in BatchCreateLogs calls the target stored (v2). */
  logLinesReported: 'log_lines_reported',
  /**
   * trend, tags {endpoint}: a git-auth `listen` long poll (`agents.gitAskpass`), from its send to
   * its answer or failure; polls cancelled by the stop signal are not timed. Kept out of
   * `request` so a poll that waits seconds for a person does not count as slow API latency.
   */
  gitAuthPoll: 'git_auth_poll',
  /** count, tags {endpoint, outcome: answered | cancelled | error}: git-auth `listen` polls ended. */
  gitAuthPolls: 'git_auth_polls',
  /** gauge, tags {endpoint}: last X-RateLimit-Limit seen. */
  rateLimitLimit: 'rate_limit_limit',
  /** gauge, tags {endpoint}: last X-RateLimit-Remaining seen. */
  rateLimitRemaining: 'rate_limit_remaining',
} as const;

/**
 * Endpoint route templates, relative to `/api/v2/workspaceagents`, as `<METHOD> <template>`.
 * Sockets use the method of their upgrade request (GET).
 */
export const ENDPOINT = {
  awsIdentity: 'POST /aws-instance-identity',
  azureIdentity: 'POST /azure-instance-identity',
  googleIdentity: 'POST /google-instance-identity',
  metadata: 'GET /me/metadata',
  version: 'POST /me/version',
  appHealth: 'POST /me/app-health',
  gitauth: 'GET /me/gitauth',
  /** What v2-era agents' git credential helper calls (docs/protocol.md §5.5a). */
  externalAuth: 'GET /me/external-auth',
  gitsshkey: 'GET /me/gitsshkey',
  agentCoordinate: 'GET /me/coordinate',
  reportStats: 'POST /me/report-stats',
  reportLifecycle: 'POST /me/report-lifecycle',
  agent: 'GET /{id}',
  pty: 'GET /{id}/pty',
  listeningPorts: 'GET /{id}/listening-ports',
  connection: 'GET /{id}/connection',
  clientCoordinate: 'GET /{id}/coordinate',
  /** The v2 agent session's WebSocket (docs/protocol-v2.md §1.1); its RPCs use {@link rpcEndpoint}. */
  agentRpc: 'GET /me/rpc',
} as const;

/**
 * The endpoint name of one v2 RPC: `RPC <method path>`, e.g.
 * `RPC /coder.agent.v2.Agent/UpdateStats` (a method path is already a stable, low-cardinality
 * template). Periodic calls record latency from their intended send time, like v1 requests.
 */
export function rpcEndpoint(methodPath: string): string {
  return `RPC ${methodPath}`;
}

export type EndpointName = (typeof ENDPOINT)[keyof typeof ENDPOINT];

/**
 * The `endpoint` tag of git-auth `listen` long polls (METRIC.gitAuthPoll, METRIC.error): the
 * route with `?listen`, so their errors stay apart from the plain lookups' on the same route.
 */
export const POLL_ENDPOINT = {
  gitauth: 'GET /me/gitauth?listen',
  externalAuth: 'GET /me/external-auth?listen',
} as const;

export type PollEndpointName = (typeof POLL_ENDPOINT)[keyof typeof POLL_ENDPOINT];

/**
 * Whether a `request` endpoint tag is one the agents themselves call: everything except the
 * user-side `{id}` routes (`GET /{id}`, `GET /{id}/coordinate`, ...), which peers and REST load
 * use with a user's key. So `/me/*`, the instance-identity exchanges and any agent-side name a
 * newer workload records (e.g. v2 RPCs) count, without this list having to know them.
 * Recovery metrics compare the per-second p99 of these samples before and after a fault.
 */
export function isAgentEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  const space = endpoint.indexOf(' ');
  return !endpoint.startsWith('/{id}', space + 1);
}
