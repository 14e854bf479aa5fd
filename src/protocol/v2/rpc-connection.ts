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

/** Options of {@link connectRpcClient}. */
export interface RpcClientOptions extends RpcSessionOptions {
  /**
   * Called once when the session ends, with what `closed` resolves to and at the same point (a
   * microtask after the end). A listener, unlike `closed.then(…)`, costs no promise chain per
   * connection: the fleet holds one connection per agent for the whole run.
   */
  onClose?: (error: Error | undefined) => void;
}

/** Starts a yamux client session on the transport and returns a dRPC client for it. */
export function connectRpcClient(transport: ByteTransport, options: RpcClientOptions = {}): RpcClientConnection {
  const { onClose, ...sessionOptions } = options;
  const conn = new ClientConnection(onClose);
  conn.attach(new YamuxSession(transport, { ...sessionOptions, role: 'client', onClose: conn.ended }));
  return conn;
}

/** Starts a yamux server session that serves every inbound stream with `router`. */
export function serveRpc(transport: ByteTransport, router: DrpcRouter, options: RpcSessionOptions = {}): RpcConnection {
  const conn = new Connection(undefined);
  conn.attach(new YamuxSession(transport, { ...options, role: 'server', onStream: drpcStreamAcceptor(router), onClose: conn.ended }));
  return conn;
}

/**
 * A connection is a small class rather than an object literal with closures: the fleet holds
 * one per agent for the whole run. Its `closed` promise is made only when asked for.
 */
class Connection implements RpcConnection {
  session!: YamuxSession;
  /** The session's onClose (one closure per connection; it may run inside the session's constructor). */
  readonly ended: (error: Error | undefined) => void;
  private outcome: { error: Error | undefined } | undefined;
  private closedPromise: Promise<Error | undefined> | undefined;
  private resolveClosed: ((error: Error | undefined) => void) | undefined;

  constructor(private readonly listener: ((error: Error | undefined) => void) | undefined) {
    // Assigned here, not as a field initializer (tsx/esbuild `keepNames` would name it, which
    // costs the closure a dictionary-mode property store).
    this.ended = (error) => this.sessionEnded(error);
  }

  attach(session: YamuxSession): void {
    this.session = session;
  }

  get closed(): Promise<Error | undefined> {
    if (this.closedPromise === undefined) {
      const outcome = this.outcome;
      this.closedPromise = outcome ? Promise.resolve(outcome.error) : new Promise<Error | undefined>((resolve) => (this.resolveClosed = resolve));
    }
    return this.closedPromise;
  }

  close(): void {
    this.session.close();
  }

  private sessionEnded(error: Error | undefined): void {
    if (this.outcome) return;
    this.outcome = { error };
    const resolve = this.resolveClosed;
    this.resolveClosed = undefined;
    resolve?.(error);
    // A microtask later, as a `closed.then(listener)` would be called.
    const listener = this.listener;
    if (listener) queueMicrotask(() => listener(error));
  }
}

class ClientConnection extends Connection implements RpcClientConnection {
  client!: DrpcClient;

  override attach(session: YamuxSession): void {
    super.attach(session);
    this.client = new DrpcClient(session);
  }
}
