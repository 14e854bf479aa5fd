import WebSocket from 'ws';
import { systemClock, type Clock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { newHistogram, type Histogram } from '../../metrics/hdr.js';
import { METRIC } from '../../metrics/names.js';
import { nullSink, type MetricSink } from '../../metrics/sink.js';
import type { Credentials } from '../../protocol/credentials.js';
import { encodeNode } from '../../protocol/node-codec.js';
import { createAgentNode, createClientNode } from '../../protocol/node-factory.js';
import { readTagSeqs, TaggedNodeTemplate } from './fast-tag.js';
import { Ledger, agentKey, peerKey } from './ledger.js';

/**
 * Coordinator throughput load (bench/coordinator.ts): N agent sockets and one peer socket per
 * agent, lightweight (raw `ws`, pre-encoded tagged nodes, tags read without JSON parsing), driven
 * at a fixed overall rate of agent updates (open model: each update stamped with its intended
 * send time). Every step is accounted by a fresh Ledger (delivered, lost, duplicated, stale).
 */
export interface StepResult {
  /** Offered agent updates per second. */
  rate: number;
  sent: number;
  delivered: number;
  /** delivered / send window. */
  deliveredPerSecond: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Propagation agent → peer, ms. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Sockets that closed during the step. */
  closes: number;
}

interface Pair {
  agentKey: string;
  peerKey: string;
  agent: WebSocket;
  peer: WebSocket;
  template: TaggedNodeTemplate;
  seq: number;
}

const SEND = { binary: true } as const;

function open(url: string, token: string, onMessage?: (data: WebSocket.RawData) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Cookie: `coder_session_token=${token}` }, perMessageDeflate: false });
    if (onMessage) ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export class PairLoad {
  private ledger: Ledger;
  private histogram: Histogram = newHistogram();
  private closes = 0;

  private constructor(
    private readonly pairs: Pair[],
    private readonly clock: Clock,
  ) {
    this.ledger = new Ledger({ drainWindowMs: 1000, metrics: nullSink });
  }

  /** Opens `agents` agent sockets and one peer each; resolves once every peer saw its agent's node. */
  static async connect(options: { url: string; credentials: Credentials; agents: number; clock?: Clock; concurrency?: number }): Promise<PairLoad> {
    const clock = options.clock ?? systemClock();
    const ws = options.url.replace(/^http/, 'ws');
    const rng = createRng('pair-load');
    const chosen = options.credentials.agents.slice(0, options.agents);
    if (chosen.length < options.agents) throw new Error(`need ${options.agents} agents, credentials hold ${chosen.length}`);
    const pairs: Pair[] = [];
    let load: PairLoad | undefined;
    const firstNodes: Promise<void>[] = [];
    const batch = options.concurrency ?? 100;
    for (let from = 0; from < chosen.length; from += batch) {
      await Promise.all(
        chosen.slice(from, from + batch).map(async (agent, j) => {
          const i = from + j;
          const node = createAgentNode(rng.fork(`agent/${i}`));
          const template = new TaggedNodeTemplate(node);
          const agentWs = await open(`${ws}/api/v2/workspaceagents/me/coordinate`, agent.token);
          agentWs.send(template.encode(0, clock.wallNow()), SEND);
          const keys = { agentKey: agentKey(agent.id), peerKey: peerKey(agent.id, 0) };
          let first!: () => void;
          firstNodes.push(new Promise<void>((resolve) => (first = resolve)));
          const peerWs = await open(`${ws}/api/v2/workspaceagents/${agent.id}/coordinate`, options.credentials.userToken, (data) => {
            first();
            load?.onPeerMessage(keys.agentKey, keys.peerKey, data);
          });
          peerWs.send(encodeNode(createClientNode(rng.fork(`peer/${i}`), { nowMs: clock.wallNow() })), SEND);
          pairs[i] = { ...keys, agent: agentWs, peer: peerWs, template, seq: 0 };
        }),
      );
    }
    load = new PairLoad(pairs, clock);
    for (const pair of pairs) {
      pair.agent.on('close', () => load?.onClose(pair.agentKey));
      pair.peer.on('close', () => load?.onClose(pair.peerKey));
    }
    await Promise.all(firstNodes);
    return load;
  }

  /** Sends `rate` agent updates/s (round-robin over agents) for `durationMs`, then drains and accounts. */
  async step(rate: number, durationMs: number, options: { drainQuietMs?: number; drainMaxMs?: number } = {}): Promise<StepResult> {
    const { clock, pairs } = this;
    const metrics: MetricSink = {
      ...nullSink,
      trend: (name, ms) => {
        if (name === METRIC.coordPropagation) this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
      },
    };
    this.ledger = new Ledger({ drainWindowMs: options.drainQuietMs ?? 1000, metrics });
    this.histogram = newHistogram();
    this.closes = 0;
    const startWall = clock.wallNow();
    for (const p of pairs) {
      if (p.agent.readyState === WebSocket.OPEN) this.ledger.socketOpened(p.agentKey, startWall, true);
      if (p.peer.readyState === WebSocket.OPEN) this.ledger.socketOpened(p.peerKey, startWall, true);
    }
    const total = Math.round((rate * durationMs) / 1000);
    const interval = 1000 / rate;
    const start = clock.now();
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor((clock.now() - start) / interval) + 1);
        for (; k < due; k++) {
          const pair = pairs[k % pairs.length] as Pair;
          const seq = ++pair.seq;
          const intended = startWall + k * interval;
          this.ledger.sent('agent_to_peer', pair.agentKey, seq, intended, [pair.peerKey]);
          if (pair.agent.readyState === WebSocket.OPEN) pair.agent.send(pair.template.encode(seq, intended), SEND);
        }
        if (k >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const sendWindowMs = clock.now() - start;
    await this.drain(total, options.drainQuietMs ?? 1000, options.drainMaxMs ?? 10_000);
    const totals = this.ledger.finalise(clock.wallNow()).agent_to_peer;
    const h = this.histogram;
    const pct = (p: number): number => (h.totalCount ? h.getValueAtPercentile(p) / 1000 : 0);
    return {
      rate,
      sent: totals.sent,
      delivered: totals.delivered,
      deliveredPerSecond: Math.round((totals.delivered * 1000) / Math.max(durationMs, sendWindowMs)),
      lost: totals.lost,
      duplicated: totals.duplicated,
      outOfOrder: totals.outOfOrder,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      p999: pct(99.9),
      max: h.totalCount ? h.maxValue / 1000 : 0,
      closes: this.closes,
    };
  }

  async close(): Promise<void> {
    const closed = this.pairs.flatMap((p) => [p.agent, p.peer]).map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    );
    await Promise.all(closed);
  }

  private onPeerMessage(agent: string, peer: string, data: WebSocket.RawData): void {
    const at = this.clock.wallNow();
    const text = Buffer.isBuffer(data) ? data.toString('latin1') : Buffer.concat(data as Buffer[]).toString('latin1');
    for (const seq of readTagSeqs(text)) this.ledger.received('agent_to_peer', agent, peer, seq, at);
  }

  private onClose(key: string): void {
    this.closes++;
    this.ledger.socketClosed(key, this.clock.wallNow());
  }

  /** Waits until everything sent arrived, or nothing new arrived for `quietMs`, or `maxMs`. */
  private async drain(expected: number, quietMs: number, maxMs: number): Promise<void> {
    const started = this.clock.now();
    let last = -1;
    let lastChange = started;
    for (;;) {
      const delivered = this.ledger.snapshot().agent_to_peer.delivered;
      const now = this.clock.now();
      if (delivered >= expected || now - started >= maxMs) return;
      if (delivered !== last) {
        last = delivered;
        lastChange = now;
      } else if (now - lastChange >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
