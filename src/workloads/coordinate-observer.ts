import type { TailnetNode } from '../protocol/tailnet-node.js';

/**
 * A hook into the agent side of the coordinator traffic, so a peers / coordinator-bench workload
 * can match what agents send with what peers receive (and the reverse) without the fleet knowing
 * about peers. All callbacks are synchronous and must not throw; times are epoch milliseconds
 * (µs precision, from `Clock.wallNow()`).
 */
export interface CoordinateObserver {
  /** The agent sent its node, tagged with `seq` (see src/protocol/node-tag.ts), at `sentAtWallMs`. */
  agentSent(agentId: string, seq: number, sentAtWallMs: number): void;
  /** The agent received one array of (peer) nodes on its coordinate socket. */
  agentReceived(agentId: string, nodes: TailnetNode[], receivedAtWallMs: number): void;
  /** The agent's coordinate socket opened (`open` true) or closed (`open` false). */
  agentSocket(agentId: string, open: boolean, atWallMs: number): void;
}
