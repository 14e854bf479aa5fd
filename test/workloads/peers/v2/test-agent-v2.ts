import { fromBinary } from '@bufbuild/protobuf';
import type { Clock } from '../../../../src/core/clock.js';
import { tagNode } from '../../../../src/protocol/node-tag.js';
import { AGENT_IP, type TailnetNode } from '../../../../src/protocol/tailnet-node.js';
import { CoordinateResponse_PeerUpdate_Kind as Kind, CoordinateResponseSchema } from '../../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { nodeFromProto } from '../../../../src/protocol/v2/node-convert.js';
import { uuidFromBytes } from '../../../../src/protocol/v2/uuid-bytes.js';
import type { CoordinateObserver } from '../../../../src/workloads/coordinate-observer.js';
import { AgentLink } from '../../../../src/workloads/peers/v2/agent-link.js';

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
export class TestAgentV2 {
  private link?: AgentLink;
  private seq = 1;
  readonly updates: SeenUpdate[] = [];
  readonly node: TailnetNode;

  constructor(
    readonly id: string,
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly observer: CoordinateObserver,
    idNumber: bigint,
    /** The peers workload's clock: the ledger compares times from both sides. */
    private readonly clock: Clock,
  ) {
    const hex = idNumber.toString(16).padStart(64, '0');
    this.node = {
      id: idNumber,
      as_of: '2023-01-01T00:00:00Z',
      key: `nodekey:${hex}`,
      disco: `discokey:${hex}`,
      preferred_derp: 999,
      derp_latency: null,
      // The legacy fixed agent address, which the v2 coordinator accepts from every agent (docs/protocol-v2.md §6.3).
      addresses: [`${AGENT_IP}/128`],
      allowed_ips: [`${AGENT_IP}/128`],
      endpoints: ['10.0.0.1:41641'],
    };
  }

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

  /** Publishes one tagged update; returns its seq. */
  publish(): number {
    const seq = this.seq++;
    const at = this.clock.wallNow();
    this.link?.sendTagged(seq, at);
    this.observer.agentSent(this.id, seq, at);
    return seq;
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
