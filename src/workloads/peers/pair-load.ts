import WebSocket from 'ws';
import { systemClock, type Clock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { newHistogram } from '../../metrics/hdr.js';
import { METRIC } from '../../metrics/names.js';
import { nullSink } from '../../metrics/sink.js';
import type { Credentials } from '../../protocol/credentials.js';
import { encodeNode } from '../../protocol/node-codec.js';
import { createAgentNode, createClientNode } from '../../protocol/node-factory.js';
import { readTagSeqs, TaggedNodeTemplate } from '../../protocol/tagged-node-template.js';
import { Ledger, agentKey, peerKey } from './ledger.js';
import { agentAt, ArrivalLog, inBatches, pacedSends, terminateAll, wsBase, ZERO_MASK } from './pair-sides.js';

/**
 * Coordinator throughput load (bench/coordinator.ts), split in two halves so each can run in its
 * own process (one process tops out near 15k WebSocket messages/s, see
 * docs/benchmarks.md#websocket-relay-ceilings):
 * - `AgentSide`: N agent sockets sending pre-encoded tagged updates at a fixed overall rate
 *   (open model: each update stamped with its intended send time);
 * - `PeerSide`: one peer socket per agent that records every tagged arrival (tags read without
 *   JSON parsing).
 * `accountStep` replays both records into a Ledger: delivered, lost, duplicated, stale, and HDR
 * propagation percentiles. Times are epoch ms from `preciseWallClock` so two processes agree.
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

/** Flat records so they cross IPC cheaply: [pairIndex, seq, timeMs, …]. */
export interface SendRecord {
  startMs: number;
  windowMs: number;
  sends: number[];
  closes: number[][];
}
export interface ArrivalRecord {
  arrivals: number[];
  closes: number[][];
}

/** Epoch ms with µs precision from the high-resolution time origin: consistent across processes. */
export function preciseWallClock(): Clock {
  return systemClock(performance.timeOrigin);
}

const SEND = { binary: true } as const;

function open(url: string, token: string, onMessage?: (data: WebSocket.RawData) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { Cookie: `coder_session_token=${token}` },
      perMessageDeflate: false,
      generateMask: ZERO_MASK,
    });
    if (onMessage) ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export class AgentSide {
  private closes: number[][] = [];
  private constructor(
    private readonly sockets: WebSocket[],
    private readonly templates: TaggedNodeTemplate[],
    private readonly seqs: number[],
    private readonly clock: Clock,
  ) {
    sockets.forEach((ws, i) => {
      ws.on('close', () => this.closes.push([i, clock.wallNow()]));
    });
  }

  /** Opens `agents` agent sockets; each sends its (untagged-seq 0) node at once. */
  static async connect(url: string, credentials: Credentials, agents: number, clock = preciseWallClock()): Promise<AgentSide> {
    const rng = createRng('pair-load');
    const sockets: WebSocket[] = [];
    const templates: TaggedNodeTemplate[] = [];
    await inBatches(agents, 100, async (i) => {
      const agent = agentAt(credentials, agents, i);
      templates[i] = new TaggedNodeTemplate(createAgentNode(rng.fork(`agent/${i}`)));
      sockets[i] = await open(`${wsBase(url)}/api/v2/workspaceagents/me/coordinate`, agent.token);
      sockets[i]?.send(templates[i]?.encode(0, clock.wallNow()) ?? '', SEND);
    });
    return new AgentSide(
      sockets,
      templates,
      sockets.map(() => 0),
      clock,
    );
  }

  /** Sends `rate` updates/s round-robin over the agents for `durationMs` (count-bounded). */
  async step(rate: number, durationMs: number): Promise<SendRecord> {
    const { sockets } = this;
    this.closes = [];
    const sent = await pacedSends(this.seqs, rate, durationMs, this.clock, (i, seq, intended) => {
      const ws = sockets[i] as WebSocket;
      if (ws.readyState === WebSocket.OPEN) ws.send((this.templates[i] as TaggedNodeTemplate).encode(seq, intended), SEND);
    });
    return { ...sent, closes: this.closes };
  }

  close(): Promise<void> {
    return terminateAll(this.sockets);
  }
}

export class PeerSide extends ArrivalLog {
  private constructor(
    private readonly sockets: WebSocket[],
    clock: Clock,
  ) {
    super();
    sockets.forEach((ws, i) => {
      ws.on('close', () => this.recordClose(i, clock.wallNow()));
    });
  }

  /** Opens one peer socket per agent; resolves once every peer has its agent's first node. */
  static async connect(url: string, credentials: Credentials, agents: number, clock = preciseWallClock()): Promise<PeerSide> {
    const rng = createRng('pair-load');
    const sockets: WebSocket[] = [];
    const firstNodes: Promise<void>[] = [];
    let side: PeerSide | undefined;
    await inBatches(agents, 100, async (i) => {
      const agent = agentAt(credentials, agents, i);
      let first!: () => void;
      firstNodes.push(new Promise<void>((resolve) => (first = resolve)));
      sockets[i] = await open(`${wsBase(url)}/api/v2/workspaceagents/${agent.id}/coordinate`, credentials.userToken, (data) => {
        first();
        side?.onMessage(i, data, clock.wallNow());
      });
      sockets[i]?.send(encodeNode(createClientNode(rng.fork(`peer/${i}`), { nowMs: clock.wallNow() })), SEND);
    });
    side = new PeerSide(sockets, clock);
    await Promise.all(firstNodes);
    return side;
  }

  close(): Promise<void> {
    return terminateAll(this.sockets);
  }

  private onMessage(i: number, data: WebSocket.RawData, at: number): void {
    const text = Buffer.isBuffer(data) ? data.toString('latin1') : Buffer.concat(data as Buffer[]).toString('latin1');
    for (const seq of readTagSeqs(text)) this.recordArrival(i, seq, at);
  }
}

/**
 * Replays one step into a fresh Ledger (sockets established, so no snapshot excuse): sends first,
 * then arrivals in receipt order. `endMs` is when the drain ended.
 */
export function accountStep(rate: number, sent: SendRecord, arrived: ArrivalRecord, endMs: number, drainWindowMs: number): StepResult {
  const histogram = newHistogram();
  const metrics = {
    ...nullSink,
    trend: (name: string, ms: number) => {
      if (name === METRIC.coordPropagation) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    },
  };
  const ledger = new Ledger({ drainWindowMs, metrics });
  let pairs = 0;
  for (const list of [sent.sends, arrived.arrivals]) for (let k = 0; k < list.length; k += 3) pairs = Math.max(pairs, (list[k] as number) + 1);
  const a = (i: number): string => agentKey(String(i));
  const p = (i: number): string => peerKey(String(i), 0);
  for (let i = 0; i < pairs; i++) {
    ledger.socketOpened(a(i), sent.startMs, true);
    ledger.socketOpened(p(i), sent.startMs, true);
  }
  const closes = [...sent.closes.map(([i, t]) => [a(i as number), t] as const), ...arrived.closes.map(([i, t]) => [p(i as number), t] as const)];
  for (const [key, t] of closes) ledger.socketClosed(key, t as number);
  for (let k = 0; k < sent.sends.length; k += 3) {
    const i = sent.sends[k] as number;
    ledger.sent('agent_to_peer', a(i), sent.sends[k + 1] as number, sent.sends[k + 2] as number, [p(i)]);
  }
  for (let k = 0; k < arrived.arrivals.length; k += 3) {
    const i = arrived.arrivals[k] as number;
    ledger.received('agent_to_peer', a(i), p(i), arrived.arrivals[k + 1] as number, arrived.arrivals[k + 2] as number);
  }
  const totals = ledger.finalise(endMs).agent_to_peer;
  const pct = (q: number): number => (histogram.totalCount ? histogram.getValueAtPercentile(q) / 1000 : 0);
  return {
    rate,
    sent: totals.sent,
    delivered: totals.delivered,
    deliveredPerSecond: Math.round((totals.delivered * 1000) / Math.max(1, sent.windowMs, (totals.sent * 1000) / rate)),
    lost: totals.lost,
    duplicated: totals.duplicated,
    outOfOrder: totals.outOfOrder,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    max: histogram.totalCount ? histogram.maxValue / 1000 : 0,
    closes: closes.length,
  };
}

/** Waits until `expected` arrivals, or none new for `quietMs`, or `maxMs`; returns when it ended. */
export async function drain(
  arrived: () => Promise<number> | number,
  expected: number,
  quietMs: number,
  maxMs: number,
  clock = preciseWallClock(),
): Promise<number> {
  const started = clock.now();
  let last = -1;
  let lastChange = started;
  for (;;) {
    const count = await arrived();
    const now = clock.now();
    if (count >= expected || now - started >= maxMs) return clock.wallNow();
    if (count !== last) {
      last = count;
      lastChange = now;
    } else if (now - lastChange >= quietMs) return clock.wallNow();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
