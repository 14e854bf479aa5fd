import { fromBinary } from '@bufbuild/protobuf';
import { tagNode } from '../../../../src/protocol/node-tag.js';
import type { TailnetNode } from '../../../../src/protocol/tailnet-node.js';
import { CoordinateResponse_PeerUpdate_Kind as Kind, CoordinateResponseSchema } from '../../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { nodeFromProto } from '../../../../src/protocol/v2/node-convert.js';
import { uuidFromBytes } from '../../../../src/protocol/v2/uuid-bytes.js';
import { AgentLink } from '../../../../src/workloads/peers/v2/agent-link.js';
import { ScriptedAgent } from '../../../helpers/scripted-agent.js';

/** One PeerUpdate as the agent saw it. */
export interface SeenUpdate {
  peer: string;
  kind: 'NODE' | 'DISCONNECTED' | 'LOST' | 'READY_FOR_HANDSHAKE' | 'UNSPECIFIED';
  reason: string;
}

const KIND_NAMES: Record<number, SeenUpdate['kind']> = {
  [Kind.NODE]: 'NODE',
  [Kind.DISCONNECTED]: 'DISCONNECTED',
  [Kind.LOST]: 'LOST',
  [Kind.READY_FOR_HANDSHAKE]: 'READY_FOR_HANDSHAKE',
};

/**
 * A scripted v2 agent for tests (the v2 twin of ../test-agent.ts): an AgentLink on `/me/rpc`
 * that publishes tagged updates on demand and reports sends, received peer nodes and its
 * connection to a CoordinateObserver exactly as a fleet does.
 */
export class TestAgentV2 extends ScriptedAgent {
  private link?: AgentLink;
  readonly updates: SeenUpdate[] = [];

  async connect(): Promise<void> {
    this.link = await AgentLink.dial({
      url: this.baseUrl,
      token: this.token,
      node: this.node,
      onResponse: (bytes) => {
        const response = fromBinary(CoordinateResponseSchema, bytes);
        const nodes: TailnetNode[] = [];
        for (const u of response.peerUpdates) {
          this.updates.push({ peer: uuidFromBytes(u.id), kind: KIND_NAMES[u.kind] ?? 'UNSPECIFIED', reason: u.reason });
          if (u.kind === Kind.NODE && u.node) nodes.push(nodeFromProto(u.node));
        }
        if (nodes.length > 0) this.observer.agentReceived(this.id, nodes, this.clock.wallNow());
      },
      onClose: () => this.observer.agentSocket(this.id, false, this.clock.wallNow()),
    });
    this.observer.agentSocket(this.id, true, this.clock.wallNow());
  }

  protected sendTagged(seq: number, atMs: number): void {
    this.link?.sendTagged(seq, atMs);
  }

  /** Graceful leave (peers hear DISCONNECTED). */
  async disconnect(): Promise<void> {
    await this.link?.close(true);
  }

  /** Drops the connection without a goodbye (peers hear LOST). */
  async crash(): Promise<void> {
    await this.link?.terminate();
  }

  /** The tagged node this agent would publish (for direct comparisons). */
  tagged(seq: number, at: number): TailnetNode {
    return tagNode(this.node, seq, at);
  }
}
