import { sourceAddressAt } from '../../core/source-addresses.js';
import { METRIC } from '../../metrics/names.js';
import { createClientNode } from '../../protocol/node-factory.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import type { PeersConfig } from './section.js';
import { DEFAULT_TICK_MS, followSchedule } from '../tick-loop.js';
import type { Workload, WorkloadContext } from '../workload.js';
import { DeferredSink } from './deferred-sink.js';
import { Ledger, agentKey, peerKey } from './ledger.js';
import { createLedgerObserver } from './ledger-observer.js';
import { Peer, type PeerDial } from './peer.js';
import { v2PeerDial } from './v2/tailnet-dial.js';
import { wsPeerDial } from './ws-dial.js';

/** What the peers need besides their scenario section. */
export interface PeersRun {
  /** Agents active now (credentials order); peers follow the agents they dial. */
  schedule: (elapsedMs: number) => number;
  durationMs: number;
  /** How often the schedule is re-read (default 100 ms). */
  tickMs?: number;
  /**
   * The coordinate protocol: `v1` JSON node frames, or `v2` (yamux + dRPC Tailnet.Coordinate,
   * Coder ≥ 2.8, the only one from 2.13). It follows `agents.protocol`: the embedded server keeps
   * v1 and v2 coordination apart, so peers must speak what their agents speak. Default: the
   * run's resolved protocol (`ctx.target.protocol`), else v1.
   */
  protocol?: 'v1' | 'v2';
  /** Opens a coordinate socket (default: ws-dial.ts for v1, v2/tailnet-dial.ts for v2). */
  dial?: PeerDial;
  /** Source addresses (`--source-addresses`): peer j of agent i binds entry (i × perAgent + j) mod n. */
  localAddresses?: readonly string[];
}

export interface PeersWorkload {
  workload: Workload;
  /** Give this to the agent fleet so agent sends/receives enter the same ledger. */
  observer: CoordinateObserver;
}

/**
 * Peers that dial agents through the coordinator (coordinator benchmarking, see the README) and
 * account every tagged node update in both directions (see ledger.ts). On abort or at
 * `durationMs` the peers stop publishing, keep reading for `config.drainWindow`, then the ledger
 * is finalised into METRIC.coordLost & co.
 */
export function createPeersWorkload(config: PeersConfig, options: PeersRun): PeersWorkload {
  const sink = new DeferredSink();
  const ledger = new Ledger({ drainWindowMs: config.drainWindow, metrics: sink });
  /** Node id (decimal) → peer ledger key, so the agent side can tell which peer a node is from. */
  const peerByNodeId = new Map<string, string>();
  const peerKeysOf = (agentId: string): string[] => Array.from({ length: config.perAgent }, (_, i) => peerKey(agentId, i));
  const observer = createLedgerObserver(ledger, peerByNodeId, peerKeysOf);

  const workload: Workload = {
    kind: 'peers',
    async run(ctx: WorkloadContext): Promise<void> {
      sink.bind(ctx.metrics);
      observer.useClock(ctx.clock);
      const { clock, credentials, signal } = ctx;
      const wsBase = ctx.target.url.replace(/^http/, 'ws').replace(/\/+$/, '');
      const peers = new Map<string, Peer[]>();
      let connected = 0;
      const onConnected = (delta: number): void => {
        connected += delta;
        ctx.metrics.gauge(METRIC.peersConnected, connected);
      };

      const protocol = options.protocol ?? ctx.target.protocol ?? 'v1';
      const dial = options.dial ?? (protocol === 'v2' ? v2PeerDial : wsPeerDial);
      const startPeers = (index: number): void => {
        const agent = credentials.agents[index];
        if (!agent || peers.has(agent.id)) return;
        const list: Peer[] = [];
        for (let i = 0; i < config.perAgent; i++) {
          const rng = ctx.rng.fork(`peer/${agent.id}/${i}`);
          const node = createClientNode(rng, { nowMs: clock.wallNow() });
          const key = peerKey(agent.id, i);
          const localAddress = sourceAddressAt(options.localAddresses ?? [], index * config.perAgent + i);
          peerByNodeId.set(node.id.toString(), key);
          list.push(
            new Peer({
              url: `${wsBase}/api/v2/workspaceagents/${agent.id}/coordinate`,
              agentId: agent.id,
              ...(localAddress ? { localAddress } : {}),
              token: credentials.userToken,
              tokenIn: config.auth,
              agentKey: agentKey(agent.id),
              key,
              node,
              updateRate: config.updateRate,
              jitter: config.jitter,
              rng,
              clock,
              metrics: ctx.metrics,
              ledger,
              dial,
              reconnect: config.reconnect,
              onConnected,
            }),
          );
        }
        peers.set(agent.id, list);
      };
      const stopPeers = (agentId: string): Promise<unknown> => {
        const list = peers.get(agentId) ?? [];
        peers.delete(agentId);
        return Promise.all(list.map((p) => p.close()));
      };

      // Follow the schedule until the end or the abort.
      const closing: Promise<unknown>[] = [];
      await followSchedule({
        clock,
        signal,
        tickMs: options.tickMs ?? DEFAULT_TICK_MS,
        durationMs: options.durationMs,
        tick(elapsed) {
          const active = Math.max(0, Math.min(credentials.agents.length, Math.floor(options.schedule(elapsed))));
          for (let i = 0; i < active; i++) startPeers(i);
          for (let i = active; i < credentials.agents.length; i++) {
            const id = credentials.agents[i]?.id;
            if (id !== undefined && peers.has(id)) closing.push(stopPeers(id));
          }
        },
      });

      // Drain: stop publishing, keep reading, then count what never arrived.
      for (const list of peers.values()) for (const peer of list) peer.stopUpdates();
      observer.stop();
      await clock.sleep(config.drainWindow);
      ledger.finalise(clock.wallNow());
      await Promise.all([...closing, ...[...peers.keys()].map(stopPeers)]);
    },
  };
  return { workload, observer };
}
