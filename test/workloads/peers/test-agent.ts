import type { Clock } from '../../../src/core/clock.js';
import { tagNode } from '../../../src/protocol/node-tag.js';
import { AGENT_IP, type TailnetNode } from '../../../src/protocol/tailnet-node.js';
import type { CoordinateObserver } from '../../../src/workloads/coordinate-observer.js';
import type { PeerSocket } from '../../../src/workloads/peers/peer.js';
import { wsCoordinateDial } from '../../../src/workloads/peers/ws-dial.js';

/**
 * A minimal scripted agent for tests: it opens `/me/coordinate`, publishes tagged updates on
 * demand, and reports everything to a CoordinateObserver exactly like the fake fleet does.
 */
export class TestAgent {
  private socket?: PeerSocket;
  private seq = 1;
  private closed?: Promise<void>;
  readonly received: TailnetNode[][] = [];
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
      addresses: [`${AGENT_IP}/128`],
      allowed_ips: [`${AGENT_IP}/128`],
      endpoints: ['10.0.0.1:41641'],
    };
  }

  async connect(): Promise<void> {
    let onClosed!: () => void;
    this.closed = new Promise((resolve) => (onClosed = resolve));
    this.socket = await wsCoordinateDial({
      url: `${this.baseUrl.replace(/^http/, 'ws')}/api/v2/workspaceagents/me/coordinate`,
      token: this.token,
      tokenIn: 'cookie',
      onNodes: (nodes) => {
        this.received.push(nodes);
        this.observer.agentReceived(this.id, nodes, this.clock.wallNow());
      },
      onClose: () => {
        this.observer.agentSocket(this.id, false, this.clock.wallNow());
        onClosed();
      },
    });
    this.observer.agentSocket(this.id, true, this.clock.wallNow());
  }

  /** Publishes one tagged update; returns its seq. */
  publish(): number {
    const seq = this.seq++;
    const at = this.clock.wallNow();
    this.socket?.sendNode(tagNode(this.node, seq, at));
    this.observer.agentSent(this.id, seq, at);
    return seq;
  }

  async disconnect(): Promise<void> {
    this.socket?.close(1000);
    await this.closed;
  }
}
