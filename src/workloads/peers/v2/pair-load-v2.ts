import WebSocket from 'ws';
import type { Clock } from '../../../core/clock.js';
import { createRng } from '../../../core/rng.js';
import type { Credentials } from '../../../protocol/credentials.js';
import { createAgentNode, createClientNode } from '../../../protocol/node-factory.js';
import { TAILNET_METHODS } from '../../../protocol/v2/messages.js';
import { connectRpcClient, type RpcClientConnection } from '../../../protocol/v2/rpc-connection.js';
import { encodeAddTunnel, readTagSeqsProto } from '../../../protocol/v2/coordinate-bytes.js';
import { TaggedNodeProto } from '../../../protocol/v2/tagged-node-proto.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream } from '../../../protocol/v2/ws-byte-stream.js';
import { preciseWallClock, type ArrivalRecord, type SendRecord } from '../pair-load.js';
import { AgentLink } from './agent-link.js';
import { PEER_API_VERSION, withVersion } from './tailnet-dial.js';

/**
 * The v2 halves of the coordinator benchmark's load (the v1 ones are pair-load.ts; same records,
 * so `accountStep` and `drain` apply unchanged): agents on `/me/rpc` and one peer per agent on
 * `/{id}/coordinate?version=2.0`, each with one Tailnet.Coordinate stream. Updates are
 * pre-encoded (TaggedNodeProto) and arrivals are read from the response bytes without
 * decoding them (readTagSeqsProto), so the load generator's cost per update stays near v1's.
 */

/** See pair-load.ts: an all-zero frame mask lets ws skip the XOR over every payload. */
const ZERO_MASK = (): void => {};

async function inBatches(count: number, batch: number, each: (i: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < count; from += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - from) }, (_, j) => each(from + j)));
  }
}

function wsBase(url: string): string {
  return url.replace(/^http/, 'ws').replace(/\/+$/, '');
}

export class AgentSideV2 {
  private closes: number[][] = [];
  private constructor(
    private readonly links: AgentLink[],
    private readonly seqs: number[],
    private readonly clock: Clock,
  ) {}

  /** Opens `agents` agent connections; each publishes its node (tag seq 0) at once. */
  static async connect(url: string, credentials: Credentials, agents: number, clock = preciseWallClock()): Promise<AgentSideV2> {
    const rng = createRng('pair-load');
    const links: AgentLink[] = [];
    let side: AgentSideV2 | undefined;
    await inBatches(agents, 100, async (i) => {
      const agent = credentials.agents[i];
      if (!agent) throw new Error(`need ${agents} agents, credentials hold ${credentials.agents.length}`);
      const link = await AgentLink.dial({
        url,
        token: agent.token,
        node: createAgentNode(rng.fork(`agent/${i}`)),
        ws: { generateMask: ZERO_MASK },
        onClose: () => side?.closes.push([i, clock.wallNow()]),
      });
      links[i] = link;
      link.sendTagged(0, clock.wallNow());
    });
    side = new AgentSideV2(
      links,
      links.map(() => 0),
      clock,
    );
    return side;
  }

  /** Sends `rate` updates/s round-robin over the agents for `durationMs` (count-bounded). */
  async step(rate: number, durationMs: number): Promise<SendRecord> {
    const { clock, links } = this;
    this.closes = [];
    const sends: number[] = [];
    const total = Math.round((rate * durationMs) / 1000);
    const interval = 1000 / rate;
    const start = clock.now();
    const startMs = clock.wallNow();
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor((clock.now() - start) / interval) + 1);
        for (; k < due; k++) {
          const i = k % links.length;
          const seq = (this.seqs[i] = (this.seqs[i] as number) + 1);
          const intended = startMs + k * interval;
          sends.push(i, seq, intended);
          (links[i] as AgentLink).sendTagged(seq, intended);
        }
        if (k >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    return { startMs, windowMs: clock.now() - start, sends, closes: this.closes };
  }

  close(): Promise<void> {
    return Promise.all(this.links.map((l) => l.terminate())).then(() => undefined);
  }
}

export class PeerSideV2 {
  private arrivals: number[] = [];
  private closes: number[][] = [];
  private count = 0;
  private constructor(private readonly sockets: WebSocket[]) {}

  /** One peer per agent (add_tunnel, then its node); resolves once every peer heard from its agent. */
  static async connect(url: string, credentials: Credentials, agents: number, clock = preciseWallClock()): Promise<PeerSideV2> {
    const rng = createRng('pair-load');
    const sockets: WebSocket[] = [];
    const firstNodes: Promise<void>[] = [];
    const pending: Array<[number, Uint8Array, number]> = [];
    let side: PeerSideV2 | undefined;
    await inBatches(agents, 100, async (i) => {
      const agent = credentials.agents[i];
      if (!agent) throw new Error(`need ${agents} agents, credentials hold ${credentials.agents.length}`);
      let first!: () => void;
      firstNodes.push(new Promise<void>((resolve) => (first = resolve)));
      const target = withVersion(`${wsBase(url)}/api/v2/workspaceagents/${agent.id}/coordinate`, PEER_API_VERSION);
      const ws = new WebSocket(target, {
        ...V2_WS_CLIENT_OPTIONS,
        headers: { Cookie: `coder_session_token=${credentials.userToken}` },
        generateMask: ZERO_MASK,
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      sockets[i] = ws;
      const conn: RpcClientConnection = connectRpcClient(wsByteStream(ws));
      const stream = conn.client.bidi(TAILNET_METHODS.Coordinate);
      stream.listen({
        onMessage: (bytes) => {
          first();
          const at = clock.wallNow();
          if (side) side.onMessage(i, bytes, at);
          else pending.push([i, bytes, at]);
        },
        onEnd: () => conn.close(),
      });
      ws.once('close', () => side?.closes.push([i, clock.wallNow()]));
      const node = new TaggedNodeProto(createClientNode(rng.fork(`peer/${i}`), { nowMs: clock.wallNow() }));
      void stream.send(encodeAddTunnel(agent.id)).catch(() => conn.close());
      void stream.send(node.encodeUpdateSelf(0, clock.wallNow())).catch(() => conn.close());
    });
    side = new PeerSideV2(sockets);
    for (const [i, bytes, at] of pending) side.onMessage(i, bytes, at);
    await Promise.all(firstNodes);
    return side;
  }

  /** Tagged arrivals since the last take. */
  arrived(): number {
    return this.count;
  }

  take(): ArrivalRecord {
    const record = { arrivals: this.arrivals, closes: this.closes };
    this.arrivals = [];
    this.closes = [];
    this.count = 0;
    return record;
  }

  close(): Promise<void> {
    return Promise.all(
      this.sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.terminate();
          }),
      ),
    ).then(() => undefined);
  }

  private onMessage(i: number, bytes: Uint8Array, at: number): void {
    for (const seq of readTagSeqsProto(bytes)) {
      this.arrivals.push(i, seq, at);
      this.count++;
    }
  }
}
