import type { Clock } from '../../core/clock.js';
import { readNodeTag } from '../../protocol/node-tag.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import { agentKey, type Ledger } from './ledger.js';

export interface LedgerObserver extends CoordinateObserver {
  /** Ignore agent sends from now on (the drain window started); receives still count. */
  stop(): void;
  /**
   * Stamp agent receives with this clock instead of the time passed in: the socket layer's wall
   * time (performance.timeOrigin based) and the run clock (Date based) can differ by a few ms,
   * and peer→agent latency subtracts a run-clock send time. Callbacks are synchronous with the
   * receipt, so nothing is lost.
   */
  useClock(clock: Clock): void;
}

/**
 * The agent side of the accounting: the fleet calls this observer, and agent sends, agent
 * receives and agent socket opens/closes enter the ledger.
 *
 * @param peerByNodeId node id (decimal text) → peer ledger key, filled in as peers are created
 * @param peerKeysOf   the peers an agent's update fans out to (every peer of that agent)
 */
export function createLedgerObserver(ledger: Ledger, peerByNodeId: ReadonlyMap<string, string>, peerKeysOf: (agentId: string) => string[]): LedgerObserver {
  const receivers = new Map<string, string[]>();
  let stopped = false;
  let clock: Clock | undefined;
  return {
    agentSent(agentId, seq, sentAtWallMs) {
      if (stopped) return;
      let keys = receivers.get(agentId);
      if (!keys) receivers.set(agentId, (keys = peerKeysOf(agentId)));
      ledger.sent('agent_to_peer', agentKey(agentId), seq, sentAtWallMs, keys);
    },
    agentReceived(agentId, nodes, receivedAtWallMs) {
      const receiver = agentKey(agentId);
      const at = clock ? clock.wallNow() : receivedAtWallMs;
      for (const node of nodes) {
        const peer = peerByNodeId.get(node.id.toString());
        if (!peer) continue; // not one of ours (a real client of the same agent)
        const tag = readNodeTag(node);
        if (tag) ledger.received('peer_to_agent', peer, receiver, tag.seq, at);
      }
    },
    agentSocket(agentId, open, atWallMs) {
      if (open) ledger.socketOpened(agentKey(agentId), atWallMs);
      else ledger.socketClosed(agentKey(agentId), atWallMs);
    },
    stop() {
      stopped = true;
    },
    useClock(c) {
      clock = c;
    },
  };
}
