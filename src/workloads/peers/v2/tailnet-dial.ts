import { fromBinary } from '@bufbuild/protobuf';
import WebSocket from 'ws';
import {
  CoordinateResponse_PeerUpdate_Kind as Kind,
  type CoordinateResponse,
  CoordinateResponseSchema,
} from '../../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { TAILNET_METHODS, TAILNET_RPC } from '../../../protocol/v2/messages.js';
import { nodeFromProto, nodeToProto } from '../../../protocol/v2/node-convert.js';
import { connectRpcClient, type RpcClientConnection } from '../../../protocol/v2/rpc-connection.js';
import { DISCONNECT_REQUEST, encodeAddTunnel } from '../../../protocol/v2/coordinate-bytes.js';
import { TaggedNodeProto } from '../../../protocol/v2/tagged-node-proto.js';
import { uuidToBytes } from '../../../protocol/v2/uuid-bytes.js';
import { wireErrorClass } from '../../../protocol/v2/wire-errors.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream } from '../../../protocol/v2/ws-byte-stream.js';
import type { TailnetNode } from '../../../protocol/tailnet-node.js';
import type { PeerDial, PeerDialOptions, PeerSocket } from '../peer.js';

/**
 * A peer's coordinate connection over the v2 protocol (docs/protocol-v2.md §6), what `coder ssh`
 * does: `GET /{id}/coordinate?version=2.x` upgraded to a WebSocket carrying yamux + dRPC, one
 * `Tailnet.Coordinate` bidi stream on it, `add_tunnel` to the agent first, then the peer's node
 * as `update_self` (pre-encoded, see TaggedNodeProto). PeerUpdates about the agent
 * become the same `onNodes` calls a v1 socket makes, so the Peer and its ledger do not change.
 *
 * LOST / DISCONNECTED about the agent (its connection dropped, or it left gracefully) keep the
 * stream open, as the Go client does: the agent's next node arrives on the same stream once it
 * is back (docs/protocol-v2.md §6.4). They are reported through `onAgentGone`. READY_FOR_HANDSHAKE is the agent's
 * answer to our node and carries nothing the ledger needs.
 *
 * Closing sends `disconnect{}` and waits (up to DISCONNECT_WAIT_MS) for the server to end the
 * stream, so the agent hears DISCONNECTED rather than LOST; then the WebSocket closes (1000).
 */

/**
 * The API version peers ask for: 2.0 is what the Go client dials for coordination (it asks 2.3
 * only when it needs WorkspaceUpdates) and every v2 Coder serves it (docs/protocol-v2.md §6.1).
 */
export const PEER_API_VERSION = '2.0';
/** How long a closing peer waits for the server to end its stream after `disconnect{}`. */
export const DISCONNECT_WAIT_MS = 1000;

/** An error class for a Coordinate stream that the server ended while we were not leaving. */
export const COORDINATE_ENDED = 'coordinate_ended';

/** `…/coordinate` URL with `version=` set (any existing `version` is replaced). */
export function withVersion(url: string, version: string): string {
  const u = new URL(url);
  u.searchParams.set('version', version);
  return u.toString();
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class V2PeerSocket implements PeerSocket {
  private readonly template: TaggedNodeProto;
  private conn?: RpcClientConnection;
  private stream?: ReturnType<RpcClientConnection['client']['bidi']>;
  private leaving = false;
  private leaveTimer?: NodeJS.Timeout;
  /** Why the connection ended, when it was not our own clean close. */
  private failure?: string;
  /** One handler for every send's promise (no closure per update). */
  private readonly onSendError = (error: unknown): void => {
    this.failure ??= wireErrorClass(error);
    this.conn?.close();
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly options: PeerDialOptions,
  ) {
    this.template = new TaggedNodeProto(options.node);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.leaving;
  }

  /** Called once the WebSocket is open: yamux session, Coordinate stream, add_tunnel. */
  start(): void {
    const conn = (this.conn = connectRpcClient(wsByteStream(this.ws)));
    const stream = (this.stream = conn.client.bidi(TAILNET_METHODS.Coordinate));
    const agentBytes = uuidToBytes(this.options.agentId);
    stream.listen({
      onMessage: (bytes) => this.onResponse(bytes, agentBytes),
      onEnd: (error) => {
        clearTimeout(this.leaveTimer);
        if (error) this.failure ??= wireErrorClass(error);
        else if (!this.leaving) this.failure ??= COORDINATE_ENDED;
        conn.close();
      },
    });
    void conn.closed.then((error) => {
      if (error) this.failure ??= wireErrorClass(error);
    });
    this.send(encodeAddTunnel(this.options.agentId));
  }

  /** Any node as `update_self` (not the hot path: the Peer sends through `sendTagged`). */
  sendNode(node: TailnetNode): void {
    this.send(TAILNET_RPC.Coordinate.encodeRequest({ updateSelf: { node: nodeToProto(node) } }));
  }

  sendTagged(seq: number, sentAtWallMs: number): void {
    this.send(this.template.encodeUpdateSelf(seq, sentAtWallMs));
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.CONNECTING) return this.ws.terminate();
    if (this.leaving) return;
    this.leaving = true;
    const conn = this.conn;
    if (!conn || code !== 1000 || !this.stream) {
      conn?.close();
      if (!conn) this.ws.close(code);
      return;
    }
    this.send(DISCONNECT_REQUEST);
    this.leaveTimer = setTimeout(() => conn.close(), DISCONNECT_WAIT_MS);
  }

  /** The error class to report with the close, if the connection failed. */
  get failureClass(): string | undefined {
    return this.failure;
  }

  private send(bytes: Uint8Array): void {
    const stream = this.stream;
    if (!stream || this.ws.readyState !== WebSocket.OPEN) return;
    stream.send(bytes).catch(this.onSendError);
  }

  private onResponse(bytes: Uint8Array, agentBytes: Uint8Array): void {
    const at = Date.now();
    let response: CoordinateResponse;
    try {
      response = fromBinary(CoordinateResponseSchema, bytes);
    } catch {
      this.failure ??= 'protocol';
      this.conn?.close();
      return;
    }
    let nodes: TailnetNode[] | undefined;
    for (const update of response.peerUpdates) {
      if (!sameId(update.id, agentBytes)) continue; // not our agent: a client has one tunnel
      if (update.kind === Kind.NODE && update.node) {
        try {
          (nodes ??= []).push(nodeFromProto(update.node));
        } catch {
          // a node fleetsim cannot read back is not one of its tagged updates
        }
      } else if (update.kind === Kind.LOST || update.kind === Kind.DISCONNECTED) {
        this.options.onAgentGone?.(update.kind === Kind.LOST ? 'lost' : 'disconnected', update.reason);
      }
    }
    if (nodes) this.options.onNodes(nodes, at);
  }
}

/**
 * Dials a peer's v2 coordinate connection (see the module comment). Resolves once the WebSocket
 * is open, like the v1 dial; rejects with the ws error (an HTTP refusal such as 400 for an
 * unsupported `version` reads "Unexpected server response: 400").
 */
export const v2PeerDial: PeerDial = (options) =>
  new Promise<PeerSocket>((resolve, reject) => {
    const headers: Record<string, string> =
      options.tokenIn === 'header' ? { 'Coder-Session-Token': options.token } : { Cookie: `coder_session_token=${options.token}` };
    const ws = new WebSocket(withVersion(options.url, PEER_API_VERSION), {
      ...V2_WS_CLIENT_OPTIONS,
      headers,
      handshakeTimeout: 10_000,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const socket = new V2PeerSocket(ws, options);
    let opened = false;
    ws.once('open', () => {
      opened = true;
      socket.start();
      resolve(socket);
    });
    ws.on('error', (error) => {
      if (!opened) reject(error);
    });
    ws.once('close', (code, reason) => {
      if (opened) options.onClose(code, reason.toString(), socket.failureClass);
      else reject(new Error('WebSocket closed before it opened'));
    });
  });
