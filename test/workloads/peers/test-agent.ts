import { tagNode } from '../../../src/protocol/node-tag.js';
import type { TailnetNode } from '../../../src/protocol/tailnet-node.js';
import type { PeerSocket } from '../../../src/workloads/peers/peer.js';
import { wsCoordinateDial } from '../../../src/workloads/peers/ws-dial.js';
import { ScriptedAgent } from '../../helpers/scripted-agent.js';

/**
 * A minimal scripted agent for tests: it opens `/me/coordinate`, publishes tagged updates on
 * demand, and reports everything to a CoordinateObserver exactly like the fake fleet does.
 */
export class TestAgent extends ScriptedAgent {
  private socket?: PeerSocket;
  private closed?: Promise<void>;
  readonly received: TailnetNode[][] = [];

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

  protected sendTagged(seq: number, atMs: number): void {
    this.socket?.sendNode(tagNode(this.node, seq, atMs));
  }

  async disconnect(): Promise<void> {
    this.socket?.close(1000);
    await this.closed;
  }
}
