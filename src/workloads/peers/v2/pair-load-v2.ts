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
import { preciseWallClock, type SendRecord } from '../pair-load.js';
import { agentAt, ArrivalLog, inBatches, pacedSends, terminateAll, wsBase, ZERO_MASK } from '../pair-sides.js';
import { AgentLink } from './agent-link.js';
import { PEER_API_VERSION, withVersion } from './tailnet-dial.js';

/**
 * The v2 halves of the coordinator benchmark's load (the v1 ones are pair-load.ts; same records,
 * so `accountStep` and `drain` apply unchanged): agents on `/me/rpc` and one peer per agent on
 * `/{id}/coordinate?version=2.0`, each with one Tailnet.Coordinate stream. Updates are
 * pre-encoded (TaggedNodeProto) and arrivals are read from the response bytes without
 * decoding them (readTagSeqsProto), so the load generator's cost per update stays near v1's.
 */

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
      const agent = agentAt(credentials, agents, i);
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
    const { links } = this;
    this.closes = [];
    const sent = await pacedSends(this.seqs, rate, durationMs, this.clock, (i, seq, intended) => (links[i] as AgentLink).sendTagged(seq, intended));
    return { ...sent, closes: this.closes };
  }

  close(): Promise<void> {
    return Promise.all(this.links.map((l) => l.terminate())).then(() => undefined);
  }
}

export class PeerSideV2 extends ArrivalLog {
  private constructor(private readonly sockets: WebSocket[]) {
    super();
  }

  /** One peer per agent (add_tunnel, then its node); resolves once every peer heard from its agent. */
  static async connect(url: string, credentials: Credentials, agents: number, clock = preciseWallClock()): Promise<PeerSideV2> {
    const rng = createRng('pair-load');
    const sockets: WebSocket[] = [];
    const firstNodes: Promise<void>[] = [];
    const pending: Array<[number, Uint8Array, number]> = [];
    let side: PeerSideV2 | undefined;
    await inBatches(agents, 100, async (i) => {
      const agent = agentAt(credentials, agents, i);
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
      ws.once('close', () => side?.recordClose(i, clock.wallNow()));
      const node = new TaggedNodeProto(createClientNode(rng.fork(`peer/${i}`), { nowMs: clock.wallNow() }));
      void stream.send(encodeAddTunnel(agent.id)).catch(() => conn.close());
      void stream.send(node.encodeUpdateSelf(0, clock.wallNow())).catch(() => conn.close());
    });
    side = new PeerSideV2(sockets);
    for (const [i, bytes, at] of pending) side.onMessage(i, bytes, at);
    await Promise.all(firstNodes);
    return side;
  }

  close(): Promise<void> {
    return terminateAll(this.sockets);
  }

  private onMessage(i: number, bytes: Uint8Array, at: number): void {
    for (const seq of readTagSeqsProto(bytes)) this.recordArrival(i, seq, at);
  }
}
