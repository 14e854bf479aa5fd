import { ENDPOINT, METRIC, POLL_ENDPOINT } from '../metrics/names.js';
import { send, type ApiResult, type RequestContext } from './http.js';
import type { StopSignal } from './stop-signal.js';

/** Lifecycle states of protocol §5.8. */
export type LifecycleState = 'created' | 'starting' | 'start_timeout' | 'start_error' | 'ready';
/** App health values accepted by protocol §5.4. */
export type AppHealth = 'initializing' | 'healthy' | 'unhealthy';

/** `agentsdk.Stats` (protocol §5.7); `num_comms` is the real wire name. */
export interface AgentStats {
  conns_by_proto: Record<string, number>;
  num_comms: number;
  rx_packets: number;
  rx_bytes: number;
  tx_packets: number;
  tx_bytes: number;
}

/** Response of report-stats: the interval in Go nanoseconds. */
export interface StatsResponse {
  report_interval: number;
}

export interface SessionTokenResponse {
  session_token: string;
}

/** Metadata of protocol §5.2 (only the fields the fleet reads are typed). */
export interface AgentMetadata {
  git_auth_configs: number;
  apps: Array<{ id: string; slug?: string; health?: string; healthcheck?: { url: string; interval: number; threshold: number } }>;
  derpmap: unknown;
  startup_script_timeout: number;
  [key: string]: unknown;
}

export interface GitSshKey {
  public_key: string;
  private_key: string;
}

export interface GitAuthResponse {
  username: string;
  password: string;
  url: string;
}

/** agentsdk.ExternalAuthResponse (protocol §5.5a); username/password as in GitAuthResponse. */
export interface ExternalAuthResponse extends GitAuthResponse {
  access_token: string;
  token_extra: Record<string, unknown> | null;
  type: string;
}

/** Options of a git-auth lookup. */
export interface GitAuthCallOptions extends CallOptions {
  /**
   * `&listen`: the server holds the request until the owner has a valid link (no server
   * timeout), so the call has no timeout either; its latency goes to METRIC.gitAuthPoll.
   */
  listen?: boolean;
}

/** Per-call options. */
export interface CallOptions {
  /** `clock.now()` when the call was due (periodic traffic), for coordinated-omission-free latency. */
  intendedAt?: number;
  /** Cancels without recording (run shutdown). */
  signal?: StopSignal;
}

/**
 * Typed client for the agent side of the API (protocol §5.1–§5.8): the identity exchanges (no auth)
 * and every `/me/*` REST route, authenticated with the `Coder-Session-Token` header like the Go
 * SDK. One instance per fake agent; all instances share one {@link RequestContext} transport.
 */
export class AgentApiClient {
  /** The agent session token (secret). */
  token: string | undefined;

  constructor(
    private readonly ctx: RequestContext,
    private readonly requestTimeoutMs: number,
    token?: string,
  ) {
    this.token = token;
  }

  exchangeAws(body: { document: string; signature: string }, options: CallOptions = {}): Promise<ApiResult<SessionTokenResponse>> {
    return this.post(ENDPOINT.awsIdentity, '/aws-instance-identity', body, options, false);
  }

  exchangeAzure(body: { signature: string; encoding: string }, options: CallOptions = {}): Promise<ApiResult<SessionTokenResponse>> {
    return this.post(ENDPOINT.azureIdentity, '/azure-instance-identity', body, options, false);
  }

  exchangeGoogle(body: { json_web_token: string }, options: CallOptions = {}): Promise<ApiResult<SessionTokenResponse>> {
    return this.post(ENDPOINT.googleIdentity, '/google-instance-identity', body, options, false);
  }

  postVersion(version: string, options: CallOptions = {}): Promise<ApiResult<null>> {
    return this.post(ENDPOINT.version, '/me/version', { version }, options);
  }

  getMetadata(options: CallOptions = {}): Promise<ApiResult<AgentMetadata>> {
    return this.get(ENDPOINT.metadata, '/me/metadata', options);
  }

  /** Sends every tracked app under the Go field name `Healths` (protocol §5.4). */
  postAppHealth(healths: Record<string, AppHealth>, options: CallOptions = {}): Promise<ApiResult<null>> {
    return this.post(ENDPOINT.appHealth, '/me/app-health', { Healths: healths }, options);
  }

  /** GET /me/gitauth?url=… (protocol §5.5), the v1-era git credential helper's call. */
  getGitAuth(gitUrl: string, options: GitAuthCallOptions = {}): Promise<ApiResult<GitAuthResponse>> {
    const path = `/me/gitauth?url=${encodeURIComponent(gitUrl)}`;
    if (!options.listen) return this.get(ENDPOINT.gitauth, path, options);
    return this.poll(POLL_ENDPOINT.gitauth, `${path}&listen`, options);
  }

  /** GET /me/external-auth?match=… (protocol §5.5a), the v2-era helper's call. */
  getExternalAuth(match: string, options: GitAuthCallOptions = {}): Promise<ApiResult<ExternalAuthResponse>> {
    const path = `/me/external-auth?match=${encodeURIComponent(match)}`;
    if (!options.listen) return this.get(ENDPOINT.externalAuth, path, options);
    return this.poll(POLL_ENDPOINT.externalAuth, `${path}&listen`, options);
  }

  getGitSshKey(options: CallOptions = {}): Promise<ApiResult<GitSshKey>> {
    return this.get(ENDPOINT.gitsshkey, '/me/gitsshkey', options);
  }

  reportStats(stats: AgentStats, options: CallOptions = {}): Promise<ApiResult<StatsResponse>> {
    return this.post(ENDPOINT.reportStats, '/me/report-stats', stats, options);
  }

  /** Succeeds only on exactly 204, as the SDK insists (protocol §5.8). */
  reportLifecycle(state: LifecycleState, options: CallOptions = {}): Promise<ApiResult<null>> {
    return this.post(ENDPOINT.reportLifecycle, '/me/report-lifecycle', { state }, options, true, [204]);
  }

  /** `ws(s)://…/api/v2/workspaceagents/me/coordinate` for this target. */
  coordinateUrl(): string {
    return this.ctx.transport.baseUrl.replace(/^http/, 'ws') + '/api/v2/workspaceagents/me/coordinate';
  }

  private authHeaders(auth: boolean): Record<string, string> | undefined {
    return auth && this.token ? { 'coder-session-token': this.token } : undefined;
  }

  private get<T>(endpoint: (typeof ENDPOINT)[keyof typeof ENDPOINT], path: string, options: CallOptions): Promise<ApiResult<T>> {
    return send<T>(this.ctx, {
      method: 'GET',
      path,
      endpoint,
      headers: this.authHeaders(true),
      timeoutMs: this.requestTimeoutMs,
      signal: options.signal,
      intendedAt: options.intendedAt,
    });
  }

  /** A long poll: no timeout, latency to METRIC.gitAuthPoll. */
  private poll<T>(endpoint: (typeof POLL_ENDPOINT)[keyof typeof POLL_ENDPOINT], path: string, options: CallOptions): Promise<ApiResult<T>> {
    return send<T>(this.ctx, {
      method: 'GET',
      path,
      endpoint,
      trend: METRIC.gitAuthPoll,
      headers: this.authHeaders(true),
      timeoutMs: 0,
      signal: options.signal,
      intendedAt: options.intendedAt,
    });
  }

  private post<T>(
    endpoint: (typeof ENDPOINT)[keyof typeof ENDPOINT],
    path: string,
    json: unknown,
    options: CallOptions,
    auth = true,
    expect: readonly number[] = [200],
  ): Promise<ApiResult<T>> {
    return send<T>(this.ctx, {
      method: 'POST',
      path,
      endpoint,
      json,
      expect,
      headers: this.authHeaders(auth),
      timeoutMs: this.requestTimeoutMs,
      signal: options.signal,
      intendedAt: options.intendedAt,
    });
  }
}
