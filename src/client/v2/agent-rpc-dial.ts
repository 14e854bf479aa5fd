/**
 * Dials the v2 agent session (docs/protocol-v2.md §1.1-§1.4): `GET
 * /api/v2/workspaceagents/me/rpc?version=2.N`, upgraded to a binary WebSocket that the yamux
 * client then runs over. Failures before the upgrade carry the HTTP status (400 for a version
 * the server does not speak, 401 for a bad token), so the caller can classify them.
 */
import { dialWebSocket } from '../ws-dial.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream, type ByteTransport } from '../../protocol/v2/ws-byte-stream.js';

export interface AgentRpcDialOptions {
  /** Base URL of the deployment (`http(s)://host:port`, no /api/v2). */
  baseUrl: string;
  /** The API version to ask for, `2.N` (docs/protocol-v2.md §1.3). */
  apiVersion: string;
  /** Agent session token. Secret: never logged. */
  token: string;
  localAddress?: string;
  /** Opening handshake limit. */
  handshakeTimeoutMs: number;
}

/** The full ws(s) URL of `/me/rpc` for `version`. */
export function agentRpcUrl(baseUrl: string, apiVersion: string): string {
  return `${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/api/v2/workspaceagents/me/rpc?version=${encodeURIComponent(apiVersion)}`;
}

/**
 * Opens the session's WebSocket and returns it as a byte stream. The token goes in the
 * `coder_session_token` cookie (what the Go agent's cookie jar sends, docs/protocol-v2.md §1.2) and in the
 * `Coder-Session-Token` header (what the Go SDK adds to its requests); coderd reads the cookie
 * first, so both carry the same value. Rejects with a `CoordinateDialError` (client/ws-dial.ts; its
 * `statusCode` set for an HTTP answer) or the network error.
 */
export function dialAgentRpc(opts: AgentRpcDialOptions): Promise<ByteTransport> {
  return dialWebSocket(
    agentRpcUrl(opts.baseUrl, opts.apiVersion),
    {
      ...V2_WS_CLIENT_OPTIONS,
      headers: { Cookie: `coder_session_token=${opts.token}`, 'Coder-Session-Token': opts.token },
      followRedirects: false,
      handshakeTimeout: opts.handshakeTimeoutMs,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    },
    // The byte stream adds its own error and close listeners before any message can arrive.
    (ws) => wsByteStream(ws),
  );
}
