/**
 * The composed stack, ws → byte stream → yamux → dRPC (docs/protocol-v2.md §1.5-§2.3), so an
 * agent can dial `/api/v2/workspaceagents/me/rpc` and a server can mount the route in a few
 * lines:
 *
 * ```ts
 * const ws = new WebSocket(url, { ...V2_WS_CLIENT_OPTIONS, headers });
 * await once(ws, 'open');
 * const conn = connectRpcClient(wsByteStream(ws));
 * const bytes = await conn.client.unary('/coder.agent.v2.Agent/UpdateStats', request);
 *
 * wss.handleUpgrade(req, socket, head, (ws) => serveRpc(wsByteStream(ws), router));
 * ```
 */
import type { ByteTransport } from './ws-byte-stream.js';
import { YamuxSession, type YamuxSessionOptions } from './yamux-session.js';
import { DrpcClient } from './drpc-client.js';
import { drpcStreamAcceptor } from './drpc-server.js';
import type { DrpcRouter } from './drpc-router.js';

/** Session options a caller may change (role and stream handling are fixed by the facade). */
export type RpcSessionOptions = Omit<YamuxSessionOptions, 'role' | 'onStream' | 'onClose'>;

/** Either end of a v2 connection. */
export interface RpcConnection {
  readonly session: YamuxSession;
  /** Resolves once when the session ends: undefined after a local `close()`, else the cause. */
  readonly closed: Promise<Error | undefined>;
  /** Ends the session and closes the WebSocket (1000). */
  close(): void;
}

/** The agent/CLI end: yamux client role. */
export interface RpcClientConnection extends RpcConnection {
  readonly client: DrpcClient;
}

/** Starts a yamux client session on the transport and returns a dRPC client for it. */
export function connectRpcClient(transport: ByteTransport, options: RpcSessionOptions = {}): RpcClientConnection {
  let onClose!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  const session = new YamuxSession(transport, { ...options, role: 'client', onClose });
  return new ClientConnection(session, closed, new DrpcClient(session));
}

/** Starts a yamux server session that serves every inbound stream with `router`. */
export function serveRpc(transport: ByteTransport, router: DrpcRouter, options: RpcSessionOptions = {}): RpcConnection {
  let onClose!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  const session = new YamuxSession(transport, { ...options, role: 'server', onStream: drpcStreamAcceptor(router), onClose });
  return new Connection(session, closed);
}

/**
 * A connection is a small class rather than an object literal with a `close` arrow: one per
 * agent session adds up, and the arrow would cost a closure and its context per connection
 * (plus, under tsx/esbuild `keepNames`, an own `name` property in a dictionary store, ~250 B).
 */
class Connection implements RpcConnection {
  constructor(
    readonly session: YamuxSession,
    readonly closed: Promise<Error | undefined>,
  ) {}

  close(): void {
    this.session.close();
  }
}

class ClientConnection extends Connection implements RpcClientConnection {
  constructor(
    session: YamuxSession,
    closed: Promise<Error | undefined>,
    readonly client: DrpcClient,
  ) {
    super(session, closed);
  }
}
