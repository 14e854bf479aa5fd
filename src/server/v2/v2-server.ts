import type { AgentV2Counters, V2Totals } from '../counters.js';
import type { CoordinateRequest as ProtoRequest, Node } from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import type { Logger } from '../../core/log.js';
import { authorizeCoordinate } from './coordinatee-auth.js';
import { fromProtoRequest, nodesEqual } from './coordinate-convert.js';
import { encodeResponse, type WireNode } from './coordinate-wire.js';
import { TailnetCore, type CoordinateeAuth, type PeerLink } from './tailnet-core.js';

/**
 * The server-wide v2 state: one tailnet coordinator shared by every agent and client session
 * (coderd's in-memory coordinator), and the open sessions so close() can end them.
 */

/** coderd's per-peer response queue depth; a peer that falls this far behind is dropped. */
export const RESPONSE_QUEUE_DEPTH = 512;

/** One Coordinate stream as the session layer provides it. */
export interface CoordinateStream {
  /**
   * Writes one encoded CoordinateResponse (the same bytes may go to several streams: do not
   * mutate them); returns how many responses are still waiting for the transport.
   */
  send(response: Uint8Array): number;
  /** The coordinator is done with this peer (dRPC Close). */
  close(): void;
}

export interface CoordinateHandle {
  /**
   * One decoded request from the peer (`nodeBytes`: what its update_self node was decoded from,
   * when known); false once the peer is gone (stop reading).
   */
  request(req: ProtoRequest, nodeBytes?: Uint8Array): boolean;
  /** The stream ended (without disconnect: partners hear LOST). */
  end(): void;
}

export interface OpenSession {
  close(): void;
}

export class V2Server {
  readonly core: TailnetCore<WireNode>;
  private readonly sessions = new Set<OpenSession>();

  constructor(
    private readonly totals: V2Totals,
    private readonly log?: Logger,
  ) {
    this.core = new TailnetCore<WireNode>({
      equal: (a, b) => nodesEqual(a.node, b.node),
      authorize: authorizeCoordinate,
      onRefused: (id, reason) => this.log?.debug(`v2 coordinator: peer ${id} dropped: ${reason}`),
    });
  }

  track(session: OpenSession): () => void {
    this.sessions.add(session);
    return () => this.sessions.delete(session);
  }

  /**
   * Registers a Coordinate stream for `id`. `agentCounters` is set for an agent's own stream
   * (its nodes and the updates it receives are counted per agent).
   */
  coordinate(id: string, auth: CoordinateeAuth, stream: CoordinateStream, agentCounters?: AgentV2Counters, onNode?: (node: Node) => void): CoordinateHandle {
    const totals = this.totals;
    const link: PeerLink<WireNode> = this.core.connect(id, auth, {
      send(response) {
        const updates = response.peerUpdates.length;
        totals.peerUpdatesSent += updates;
        if (agentCounters) agentCounters.peerUpdatesSent += updates;
        return stream.send(encodeResponse(response)) < RESPONSE_QUEUE_DEPTH;
      },
      close: () => stream.close(),
    });
    return {
      request(req, nodeBytes) {
        const decoded = fromProtoRequest(req, nodeBytes);
        // A malformed id ends the peer like a refused request (LOST, stream closed).
        if (!decoded.ok) return link.request({ updateSelf: {} }) === 'ok';
        const result = link.request(decoded.request);
        const node = decoded.request.updateSelf?.node;
        if (node && result !== 'refused') {
          if (agentCounters) agentCounters.nodeUpdates++;
          onNode?.(node.node);
        }
        return result === 'ok';
      },
      end: () => link.end(),
    };
  }

  close(): void {
    this.core.close();
    for (const session of [...this.sessions]) session.close();
    this.sessions.clear();
  }
}
