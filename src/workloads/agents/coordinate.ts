import type { Clock } from '../../core/clock.js';
import { wsCloseClass, wsDialErrorClass } from '../../metrics/error-class.js';
import { ENDPOINT, METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import { recordDialTiming } from '../../metrics/request-timing.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import type { AgentDeps, AgentSocket, OpenAgentSocketOptions } from './deps.js';
import type { AgentNodeTemplate } from './node-template.js';
import type { ScheduledTask, Scheduler } from './timer-heap.js';
import type { StopSignal } from '../../client/stop-signal.js';

/** What a session needs from the fleet. */
export interface SessionEnv {
  deps: AgentDeps;
  clock: Clock;
  metrics: MetricSink;
  observer?: CoordinateObserver;
  coordinateUrl: string;
  /** Runs the periodic node updates (one timer for the whole fleet). */
  scheduler: Scheduler;
  options: {
    requestTimeout: number;
    pingInterval: number;
    pingTimeout: number;
    nodeUpdateInterval: number;
    nodeUpdateJitter: number;
  };
}

/** The agent side of a session. */
export interface SessionHost {
  readonly agentId: string;
  /** The agent's node, pre-encoded (keys stay the same across reconnects). */
  readonly node: AgentNodeTemplate;
  /** Seeded stream for update jitter. */
  readonly jitter: { jitter(base: number, ratio: number): number };
  /** Next tag sequence number (unique and increasing per agent, across reconnects). */
  nextSeq(): number;
  socketOpened(): void;
  socketClosed(): void;
}

export type SessionEnd = 'closed' | 'failed' | 'aborted';

/** One tags object for every dial sample (the recorder caches its series key per object). */
const COORDINATE_TAGS = Object.freeze({ endpoint: ENDPOINT.agentCoordinate });

/**
 * One coordinate socket lifetime (protocol §7, §9.2.6): dial with the token in the
 * `coder_session_token` cookie like the SDK, send the agent node at once and then every
 * nodeUpdateInterval ± jitter (each send tagged), hand incoming arrays to the observer, and end
 * when the socket closes ('closed'), never opens ('failed') or the agent stops ('aborted').
 *
 * The instance is itself the socket's options object and the abort listener (prototype methods,
 * no per-session closures: a fleet holds tens of thousands of these).
 */
export class CoordinateSession implements OpenAgentSocketOptions, ScheduledTask {
  readonly url: string;
  readonly tokenIn = 'cookie' as const;
  readonly handshakeTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  private socket: AgentSocket | undefined;
  dueAt = 0;
  slot = -1;
  private resolveEnd: ((end: SessionEnd) => void) | undefined;
  /** Open and not yet ended. */
  private live = false;
  private closedEarly: number | undefined;
  private startedAt = 0;
  /** When the dial began (startedAt → dialAt is time queued inside fleetsim). */
  private dialAt = 0;

  constructor(
    private readonly host: SessionHost,
    private readonly env: SessionEnv,
    readonly token: string,
    readonly localAddress: string | undefined,
    private readonly signal: StopSignal,
  ) {
    this.url = env.coordinateUrl;
    this.handshakeTimeoutMs = env.options.requestTimeout;
    this.pingIntervalMs = env.options.pingInterval;
    this.pingTimeoutMs = env.options.pingTimeout;
  }

  /**
   * Dials and runs the session; resolves when it ends. Callbacks rather than an async function:
   * a suspended async frame (generator, register file, context, promises) costs about 0.5 KB,
   * and every connected agent would hold one for the socket's whole life. `intendedAt`: when
   * the dial was due (e.g. the pass's start, when the dial is the pass's first exchange).
   */
  run(intendedAt?: number): Promise<SessionEnd> {
    const ended = new Promise<SessionEnd>((resolve) => {
      this.resolveEnd = resolve;
    });
    const now = this.env.clock.now();
    this.dialAt = now;
    this.startedAt = intendedAt !== undefined && intendedAt < now ? intendedAt : now;
    let dialing: Promise<AgentSocket>;
    try {
      dialing = this.env.deps.openCoordinateSocket(this);
    } catch (error) {
      dialing = Promise.reject(error);
    }
    dialing.then(
      (socket) => this.opened(socket),
      (error: unknown) => this.dialFailed(error),
    );
    return ended;
  }

  onNodes(nodes: TailnetNode[], receivedAtMs: number): void {
    this.env.observer?.agentReceived(this.host.agentId, nodes, receivedAtMs);
  }

  onClose(code: number): void {
    if (!this.live) {
      // Closed before opened() ran (or after the end, where it no longer matters).
      this.closedEarly = code;
      return;
    }
    this.live = false;
    this.signal.removeEventListener('abort', this);
    // 1000/1001 read as a clean EOF in Go (protocol §7.1); anything else is a failure sample.
    if (code !== 1000 && code !== 1001) {
      this.env.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentCoordinate, class: wsCloseClass(code) });
    }
    this.closed('closed');
  }

  /** The agent stopped: close with 1000 and end at once. */
  handleEvent(): void {
    if (!this.live) return;
    this.live = false;
    this.socket?.close(1000);
    this.closed('aborted');
  }

  private dialFailed(error: unknown): void {
    const { env } = this;
    if (this.signal.aborted) return this.end('aborted');
    this.recordDial();
    env.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentCoordinate, class: wsDialErrorClass(error) });
    this.end('failed');
  }

  private opened(socket: AgentSocket): void {
    const { env } = this;
    this.socket = socket;
    this.recordDial();
    if (this.signal.aborted) {
      socket.close(1000);
      return this.end('aborted');
    }
    this.host.socketOpened();
    env.observer?.agentSocket(this.host.agentId, true, env.clock.wallNow());
    this.live = true;
    if (this.closedEarly !== undefined) return this.onClose(this.closedEarly);
    this.signal.addEventListener('abort', this, { once: true });
    this.sendNode();
    this.schedule();
  }

  /** The dial's headline sample (intended start → open or failure) and its split. */
  private recordDial(): void {
    const { metrics, clock } = this.env;
    const now = clock.now();
    metrics.trend(METRIC.request, now - this.startedAt, COORDINATE_TAGS);
    recordDialTiming(metrics, COORDINATE_TAGS, this.dialAt - this.startedAt, now - this.dialAt);
  }

  /** The open socket ended. */
  private closed(end: SessionEnd): void {
    this.env.scheduler.cancel(this);
    this.host.socketClosed();
    this.env.observer?.agentSocket(this.host.agentId, false, this.env.clock.wallNow());
    this.end(end);
  }

  private end(end: SessionEnd): void {
    const resolve = this.resolveEnd;
    this.resolveEnd = undefined;
    resolve?.(end);
  }

  private sendNode(): void {
    const socket = this.socket;
    if (!socket?.open) return;
    const seq = this.host.nextSeq();
    const at = this.env.clock.wallNow();
    if (socket.sendRaw) socket.sendRaw(this.host.node.encode(seq, at));
    else socket.sendNode(this.host.node.node(seq, at));
    this.env.observer?.agentSent(this.host.agentId, seq, at);
  }

  private schedule(): void {
    const { nodeUpdateInterval, nodeUpdateJitter } = this.env.options;
    this.env.scheduler.schedule(this, this.host.jitter.jitter(nodeUpdateInterval, nodeUpdateJitter));
  }

  /** The next node update is due. */
  fire(): void {
    if (!this.live) return;
    this.sendNode();
    this.schedule();
  }
}
