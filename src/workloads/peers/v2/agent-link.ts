import { fromBinary } from '@bufbuild/protobuf';
import WebSocket from 'ws';
import {
  CoordinateResponse_PeerUpdate_Kind as Kind,
  CoordinateResponseSchema,
  type CoordinateResponse,
} from '../../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { TAILNET_METHODS, TAILNET_RPC } from '../../../protocol/v2/messages.js';
import { connectRpcClient, type RpcClientConnection } from '../../../protocol/v2/rpc-connection.js';
import { DISCONNECT_REQUEST } from '../../../protocol/v2/coordinate-bytes.js';
import { TaggedNodeProto } from '../../../protocol/v2/tagged-node-proto.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream } from '../../../protocol/v2/ws-byte-stream.js';
import type { TailnetNode } from '../../../protocol/tailnet-node.js';
import { withVersion } from './tailnet-dial.js';

/**
 * The agent end of v2 coordination, reduced to what the coordinator benchmark's load and the
 * peers' tests need (the full v2 fake agent lives with the agents workload): `/me/rpc` upgraded
 * to yamux + dRPC, one `Tailnet.Coordinate` stream, the agent's node as pre-encoded tagged
 * `update_self`, and a `ready_for_handshake` answer to every NODE about a peer, as the Go agent
 * does (docs/protocol-v2.md §6.2).
 */
export interface AgentLinkOptions {
  /** Base http(s) URL of the target. */
  url: string;
  /** Agent token (sent as the `coder_session_token` cookie, like the Go agent). */
  token: string;
  /** The agent's node; its addresses must be ones the coordinator accepts (docs/protocol-v2.md §6.3). */
  node: TailnetNode;
  /** API version to request (default 2.0; coordination is the same in every 2.x). */
  version?: string;
  /** Every response, decoded lazily by the caller (bytes as received). */
  onResponse?(bytes: Uint8Array, receivedAtWallMs: number): void;
  /** The connection ended (after it had opened). */
  onClose?(error: Error | undefined): void;
  /** Extra `ws` client options (the benchmark's load passes a zero frame mask). */
  ws?: WebSocket.ClientOptions;
}

export class AgentLink {
  private readonly template: TaggedNodeProto;
  private stream!: ReturnType<RpcClientConnection['client']['bidi']>;
  private conn!: RpcClientConnection;
  private ended?: Promise<void>;
  /** One handler for every send's promise (no closure per update). */
  private readonly onSendError = (): void => this.conn.close();

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: AgentLinkOptions,
  ) {
    this.template = new TaggedNodeProto(options.node);
  }

  /** Dials, opens the Coordinate stream and resolves once the WebSocket is open. */
  static dial(options: AgentLinkOptions): Promise<AgentLink> {
    const url = withVersion(`${options.url.replace(/^http/, 'ws').replace(/\/+$/, '')}/api/v2/workspaceagents/me/rpc`, options.version ?? '2.0');
    const ws = new WebSocket(url, {
      ...V2_WS_CLIENT_OPTIONS,
      headers: { Cookie: `coder_session_token=${options.token}` },
      handshakeTimeout: 10_000,
      ...options.ws,
    });
    const link = new AgentLink(ws, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        link.start();
        resolve(link);
      });
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('WebSocket closed before it opened')));
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Publishes the agent's node tagged with `seq`, stamped `sentAtWallMs`. */
  sendTagged(seq: number, sentAtWallMs: number): void {
    this.send(this.template.encodeUpdateSelf(seq, sentAtWallMs));
  }

  /** Leaves: `disconnect{}` (peers hear DISCONNECTED), or with `graceful` false a bare close (LOST). */
  close(graceful = true): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN && graceful) {
      this.send(DISCONNECT_REQUEST);
      const timer = setTimeout(() => this.conn.close(), 1000);
      void this.ended?.then(() => clearTimeout(timer));
    } else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.conn.close();
    return this.ended ?? Promise.resolve();
  }

  /** Ends the WebSocket without any goodbye (a crashed agent). */
  terminate(): Promise<void> {
    this.ws.terminate();
    return this.ended ?? Promise.resolve();
  }

  private start(): void {
    this.conn = connectRpcClient(wsByteStream(this.ws));
    this.stream = this.conn.client.bidi(TAILNET_METHODS.Coordinate);
    this.ended = new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
    });
    void this.conn.closed.then((error) => this.options.onClose?.(error));
    this.stream.listen({
      onMessage: (bytes) => {
        this.options.onResponse?.(bytes, Date.now());
        this.answerNodes(bytes);
      },
      onEnd: () => this.conn.close(),
    });
  }

  /** ready_for_handshake for each NODE about a peer (docs/protocol-v2.md §6.2). */
  private answerNodes(bytes: Uint8Array): void {
    let response: CoordinateResponse;
    try {
      response = fromBinary(CoordinateResponseSchema, bytes);
    } catch {
      return this.conn.close();
    }
    const ids = response.peerUpdates.filter((u) => u.kind === Kind.NODE).map((u) => ({ id: u.id }));
    if (ids.length > 0) this.send(TAILNET_RPC.Coordinate.encodeRequest({ readyForHandshake: ids }));
  }

  private send(bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.stream.send(bytes).catch(this.onSendError);
  }
}
