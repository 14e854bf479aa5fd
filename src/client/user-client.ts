import { ENDPOINT } from '../metrics/names.js';
import type { CallOptions } from './agent-client.js';
import { send, type ApiResult, type RequestContext } from './http.js';

/** `GET /{id}/listening-ports` (protocol §5.14). */
export interface ListeningPortsResponse {
  ports: Array<{ process_name: string; network: string; port: number }>;
}

/** `GET /{id}/connection` (protocol §5.12). */
export interface ConnectionResponse {
  derp_map: unknown;
}

/**
 * Typed client for the user side of the agent routes (protocol §5.11, §5.12, §5.14), authenticated
 * with the user API key in the `Coder-Session-Token` header. Shares the run's transport.
 */
export class UserApiClient {
  constructor(
    private readonly ctx: RequestContext,
    private readonly userToken: string,
    private readonly requestTimeoutMs: number,
  ) {}

  /** `GET /{id}`: the WorkspaceAgent object of protocol §6. */
  getAgent(agentId: string, options: CallOptions = {}): Promise<ApiResult<Record<string, unknown>>> {
    return this.get(ENDPOINT.agent, `/${agentId}`, options);
  }

  getConnection(agentId: string, options: CallOptions = {}): Promise<ApiResult<ConnectionResponse>> {
    return this.get(ENDPOINT.connection, `/${agentId}/connection`, options);
  }

  getListeningPorts(agentId: string, options: CallOptions = {}): Promise<ApiResult<ListeningPortsResponse>> {
    return this.get(ENDPOINT.listeningPorts, `/${agentId}/listening-ports`, options);
  }

  private get<T>(endpoint: (typeof ENDPOINT)[keyof typeof ENDPOINT], path: string, options: CallOptions): Promise<ApiResult<T>> {
    return send<T>(this.ctx, {
      method: 'GET',
      path,
      endpoint,
      headers: { 'coder-session-token': this.userToken },
      timeoutMs: this.requestTimeoutMs,
      signal: options.signal,
      intendedAt: options.intendedAt,
    });
  }
}
