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

/**
 * Where a kind that watches the agents' coordinate traffic registers, and where the fleet looks
 * when it starts: the fleet and the watcher never import each other.
 */
export interface CoordinateTap {
  /** Registers the one watcher of the run; `agentUpdateRate` (updates/s per agent, > 0)
   * replaces the agents' nodeUpdateInterval so the watcher has traffic to measure. */
  watch(observer: CoordinateObserver, options?: { agentUpdateRate?: number }): void;
  readonly observer: CoordinateObserver | undefined;
  readonly agentUpdateRate: number | undefined;
}

export function createCoordinateTap(): CoordinateTap {
  let observer: CoordinateObserver | undefined;
  let agentUpdateRate: number | undefined;
  return {
    watch(next, options = {}) {
      if (observer) throw new Error('only one coordinate watcher per run');
      observer = next;
      agentUpdateRate = options.agentUpdateRate;
    },
    get observer() {
      return observer;
    },
    get agentUpdateRate() {
      return agentUpdateRate;
    },
  };
}
