import { reconnectBackoff, type ReconnectPolicy } from '../../core/backoff.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { StopSource } from '../../client/stop-signal.js';
import type { Rng } from '../../core/rng.js';
import { wsCloseClass, wsDialErrorClass } from '../../metrics/error-class.js';
import { ENDPOINT, METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import { readNodeTag, tagNode } from '../../protocol/node-tag.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { Ledger } from './ledger.js';

/** The part of a coordinate socket a peer uses (src/client/coordinate-socket.ts). */
export interface PeerSocket {
  sendNode(node: TailnetNode): void;
  /**
   * Sends the dial's `node` tagged with `seq` at `sentAtWallMs`, from a pre-encoded template
   * (the same update as `sendNode(tagNode(node, seq, t))`). Optional: without it the Peer tags
   * and sends the node itself.
   */
  sendTagged?(seq: number, sentAtWallMs: number): void;
  close(code?: number): void;
  readonly open: boolean;
}

export interface PeerDialOptions {
  url: string;
  token: string;
  tokenIn: 'cookie' | 'header';
  /** The agent this peer dials (v2 adds a tunnel to it). */
  agentId: string;
  /** Local address the socket binds (`--source-addresses`); the system picks when absent. */
  localAddress?: string;
  /** The peer's own untagged node (what `sendTagged` tags). */
  node: TailnetNode;
  onNodes(nodes: TailnetNode[], receivedAtMs: number): void;
  /**
   * The socket closed. `errorClass` names the failure when the close code alone does not
   * (v2: a yamux/dRPC failure, or the server ending the Coordinate stream).
   */
  onClose(code: number, reason: string, errorClass?: string): void;
  /** v2 only: the coordinator said the agent is gone (its connection was lost, or it left). */
  onAgentGone?(kind: 'lost' | 'disconnected', reason: string): void;
}

/** Opens a coordinate socket; resolves once it is open, rejects if the dial fails. */
export type PeerDial = (options: PeerDialOptions) => Promise<PeerSocket>;

/** What one peer needs from its workload. */
export interface PeerDeps {
  /** Full ws(s) URL of `GET /api/v2/workspaceagents/{id}/coordinate`. */
  url: string;
  agentId: string;
  token: string;
  tokenIn: 'cookie' | 'header';
  /** Local address every dial of this peer binds (`--source-addresses`). */
  localAddress?: string;
  agentKey: string;
  key: string;
  node: TailnetNode;
  /** Tagged updates per second (0: only the node sent on every connect). */
  updateRate: number;
  jitter: number;
  rng: Rng;
  clock: Clock;
  metrics: MetricSink;
  ledger: Ledger;
  dial: PeerDial;
  /** Redial backoff (`peers.reconnect`); full jitter draws from `rng.fork('reconnect')`. */
  reconnect: ReconnectPolicy;
  /** The number of peer sockets open now changed by `delta`. */
  onConnected(delta: number): void;
}

const ENDPOINT_TAGS = { endpoint: ENDPOINT.clientCoordinate } as const;

/**
 * One client of the coordinator, like codersdk DialWorkspaceAgent: dial the agent's coordinate
 * socket, send our node, read `[agentNode]` arrays, redial with backoff (`peers.reconnect`:
 * 50 ms → 10 s, no jitter, by default).
 * Sends tagged node updates at `updateRate` (± jitter) while connected; each connect sends one.
 */
export class Peer {
  private seq = 0;
  private stopped = false;
  private updatesOn = true;
  private socket?: PeerSocket;
  private dialing?: Promise<PeerSocket>;
  private updateTimer?: TimerHandle;
  /** Aborted by close(): ends a redial backoff at once. */
  private readonly closing = new StopSource();
  readonly done: Promise<void>;

  constructor(private readonly deps: PeerDeps) {
    this.done = this.loop();
  }

  /** Stops publishing (the drain window starts); the socket stays open and keeps reading. */
  stopUpdates(): void {
    this.updatesOn = false;
    this.deps.clock.clearTimeout(this.updateTimer);
  }

  /** Closes the socket and stops redialing; `done` resolves once everything is released. */
  close(): Promise<void> {
    this.stopped = true;
    this.stopUpdates();
    this.closing.abort();
    this.socket?.close(1000);
    void this.dialing?.then(
      (s) => s.close(1000),
      () => {},
    );
    return this.done;
  }

  private async loop(): Promise<void> {
    // codersdk DialWorkspaceAgent: retry.New(50ms, 10s), doubling; a successful open resets it.
    // Jitter draws come from their own fork, so switching jitter on does not move the update
    // phases drawn from `rng`.
    const backoff = reconnectBackoff(this.deps.reconnect, () => this.deps.rng.fork('reconnect'));
    while (!this.stopped) {
      const opened = await this.connectOnce();
      if (this.stopped) break;
      if (opened) backoff.reset();
      await this.deps.clock.sleep(backoff.next(), this.closing);
    }
  }

  /** One dial: resolves when the socket is closed again (true if it had opened). */
  private connectOnce(): Promise<boolean> {
    const { clock, metrics, ledger } = this.deps;
    const startedAt = clock.now();
    return new Promise<boolean>((resolve) => {
      let openedAt: number | undefined;
      let closedEarly = false;
      let sawNode = false;
      const early: Array<{ nodes: TailnetNode[]; at: number; mono: number }> = [];
      const onNodes = (nodes: TailnetNode[], at: number, mono: number): void => {
        if (!sawNode) {
          sawNode = true;
          metrics.trend(METRIC.coordFirstNode, Math.max(0, mono - (openedAt as number)));
        }
        for (const node of nodes) {
          const tag = readNodeTag(node);
          if (tag) ledger.received('agent_to_peer', this.deps.agentKey, this.deps.key, tag.seq, at);
        }
      };
      const onClose = (code: number, _reason: string, errorClass?: string): void => {
        if (openedAt === undefined) {
          closedEarly = true;
          return;
        }
        ledger.socketClosed(this.deps.key, clock.wallNow());
        this.deps.onConnected(-1);
        clock.clearTimeout(this.updateTimer);
        this.socket = undefined;
        // 1000/1001 read as a clean EOF in Go (protocol §7.1); anything else is a failure sample.
        if (!this.stopped && errorClass !== undefined) {
          metrics.count(METRIC.error, 1, { ...ENDPOINT_TAGS, class: errorClass });
        } else if (!this.stopped && code !== 1000 && code !== 1001) {
          metrics.count(METRIC.error, 1, { ...ENDPOINT_TAGS, class: wsCloseClass(code) });
        }
        resolve(true);
      };
      const dialing = this.deps.dial({
        url: this.deps.url,
        token: this.deps.token,
        tokenIn: this.deps.tokenIn,
        agentId: this.deps.agentId,
        ...(this.deps.localAddress ? { localAddress: this.deps.localAddress } : {}),
        node: this.deps.node,
        onNodes: (nodes) => {
          // The snapshot can arrive in the same read as the upgrade, before `dial` resolves.
          if (openedAt === undefined) early.push({ nodes, at: clock.wallNow(), mono: clock.now() });
          else onNodes(nodes, clock.wallNow(), clock.now());
        },
        onClose,
        onAgentGone: (kind) => metrics.count(METRIC.coordAgentGone, 1, { kind }),
      });
      this.dialing = dialing;
      dialing.then(
        (socket) => {
          this.dialing = undefined;
          openedAt = clock.now();
          metrics.trend(METRIC.request, openedAt - startedAt, ENDPOINT_TAGS);
          if (closedEarly) {
            resolve(false);
            return;
          }
          this.socket = socket;
          ledger.socketOpened(this.deps.key, clock.wallNow());
          this.deps.onConnected(1);
          for (const e of early.splice(0)) onNodes(e.nodes, e.at, e.mono);
          if (this.stopped) {
            socket.close(1000);
            return;
          }
          this.publish(clock.wallNow());
          if (this.updatesOn && this.deps.updateRate > 0) this.scheduleUpdates();
        },
        (error: unknown) => {
          this.dialing = undefined;
          metrics.trend(METRIC.request, clock.now() - startedAt, ENDPOINT_TAGS);
          if (!this.stopped) metrics.count(METRIC.error, 1, { ...ENDPOINT_TAGS, class: wsDialErrorClass(error) });
          resolve(false);
        },
      );
    });
  }

  /** Sends our node tagged with the next seq, stamped with its intended send time. */
  private publish(intendedWallMs: number): void {
    const socket = this.socket;
    if (!socket) return;
    const seq = ++this.seq;
    this.deps.ledger.sent('peer_to_agent', this.deps.key, seq, intendedWallMs, [this.deps.agentKey]);
    if (socket.sendTagged) socket.sendTagged(seq, intendedWallMs);
    else socket.sendNode(tagNode(this.deps.node, seq, intendedWallMs));
  }

  /**
   * Fixed-rate publishing from intended times (coordinated omission: a late timer still stamps
   * the intended time, so event-loop lag shows up as latency). A random first phase spreads peers.
   */
  private scheduleUpdates(): void {
    const { clock, rng } = this.deps;
    const interval = 1000 / this.deps.updateRate;
    let intended = clock.wallNow() + rng.next() * interval;
    const arm = (): void => {
      this.updateTimer = clock.setTimeout(() => {
        if (!this.updatesOn || !this.socket) return;
        // Never stamp a send time later than the send (a timer may fire a fraction early).
        this.publish(Math.min(intended, clock.wallNow()));
        intended += rng.jitter(interval, this.deps.jitter);
        arm();
      }, intended - clock.wallNow());
    };
    arm();
  }
}
