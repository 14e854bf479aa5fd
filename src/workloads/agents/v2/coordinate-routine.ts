import type { Clock } from '../../../core/clock.js';
import { rpcErrorClass } from '../../../metrics/error-class.js';
import type { MetricSink } from '../../../metrics/sink.js';
import type { DrpcClientStream } from '../../../protocol/v2/drpc-client.js';
import { type CoordinateResponse, CoordinateResponse_PeerUpdate_Kind } from '../../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import type { MessageListener } from '../../../protocol/v2/message-queue.js';
import { TAILNET_RPC } from '../../../protocol/v2/messages.js';
import { nodeFromProto } from '../../../protocol/v2/node-convert.js';
import type { TaggedNodeProto } from '../../../protocol/v2/tagged-node-proto.js';
import type { TailnetNode } from '../../../protocol/tailnet-node.js';
import type { CoordinateObserver } from '../../coordinate-observer.js';
import type { Scheduler } from '../timer-heap.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import type { SessionPort } from './session-port.js';

const COORDINATE = TAILNET_RPC.Coordinate;
const DISCONNECT = COORDINATE.encodeRequest({ disconnect: {} });

export interface CoordinateRoutineEnv {
  scheduler: Scheduler;
  clock: Clock;
  metrics: MetricSink;
  observer?: CoordinateObserver;
  options: { nodeUpdateInterval: number; nodeUpdateJitter: number };
}

/** The agent side of the Coordinate stream. */
export interface CoordinateHost {
  readonly agentId: string;
  readonly nodeProto: TaggedNodeProto;
  readonly jitter: { jitter(base: number, ratio: number): number };
  /** Next tag sequence number (unique and increasing per agent, across sessions). */
  nextSeq(): number;
  /** An update_self was handed to the session. */
  nodeSent(): void;
  /** A response with `updates` peer updates arrived; `handshakes` ready_for_handshake sent back. */
  peerUpdatesReceived(updates: number, handshakes: number): void;
}

/**
 * Tailnet.Coordinate for one session (docs/protocol-v2.md §4, §6.2): update_self with the
 * agent's tagged node at once and then every nodeUpdateInterval ± jitter (the same tag as v1, so
 * the peers' ledger works unchanged), ready_for_handshake for every NODE update about a peer,
 * incoming NODE updates handed to the observer as v1 nodes, and `disconnect{}` on a graceful
 * stop. The stream ending while the session is live is a session failure (the Go agent redials).
 */
export class CoordinateRoutine implements TaskOwner, MessageListener {
  private readonly task = new OwnedTask(this, 0);
  private stream: DrpcClientStream | undefined;
  private stopped = false;
  private leaving: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly port: SessionPort,
    private readonly env: CoordinateRoutineEnv,
    private readonly host: CoordinateHost,
  ) {}

  start(): void {
    try {
      this.stream = this.port.client.coordinate();
    } catch (error) {
      this.port.client.recordFailure(COORDINATE.path, rpcErrorClass(error));
      return this.port.teardown();
    }
    // The peers' ledger counts peer → agent updates only while the agent's stream is open, and
    // agent → peer losses only against it: report the open before the first update_self.
    this.env.observer?.agentSocket(this.host.agentId, true, this.env.clock.wallNow());
    // The first send carries the corked Invoke (docs/protocol-v2.md §2.4); listen afterwards.
    this.sendNode();
    this.stream.listen(this);
    this.schedule();
  }

  /** Stops the node updates (the session is ending; its close ends the stream). */
  stop(): void {
    this.stopped = true;
    this.env.scheduler.cancel(this.task);
  }

  /**
   * Graceful leave: `disconnect{}`, then wait for the coordinator to close the stream (the
   * caller bounds the wait). Resolves at once when the stream already ended.
   */
  disconnect(): Promise<void> {
    this.stop();
    const stream = this.stream;
    if (!stream || this.ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.leaving = resolve;
      stream.send(DISCONNECT).catch(() => this.onEnd(undefined));
    });
  }

  onTask(): void {
    if (this.stopped || !this.port.live) return;
    this.sendNode();
    this.schedule();
  }

  onMessage(bytes: Uint8Array): void {
    let response: CoordinateResponse;
    try {
      response = COORDINATE.decodeResponse(bytes);
    } catch {
      this.port.client.recordFailure(COORDINATE.path, 'decode');
      return;
    }
    if (response.error !== '') this.port.client.recordFailure(COORDINATE.path, 'coordinator_error');
    const updates = response.peerUpdates;
    if (updates.length === 0) return;
    const nodes: TailnetNode[] = [];
    const ready: { id: Uint8Array }[] = [];
    for (const update of updates) {
      if (update.kind !== CoordinateResponse_PeerUpdate_Kind.NODE) continue;
      // Every NODE about a peer is answered (docs/protocol-v2.md §6.2), whether or not its node converts.
      ready.push({ id: update.id });
      if (!update.node) continue;
      try {
        nodes.push(nodeFromProto(update.node));
      } catch {
        this.port.client.recordFailure(COORDINATE.path, 'decode');
      }
    }
    if (nodes.length > 0) this.env.observer?.agentReceived(this.host.agentId, nodes, this.env.clock.wallNow());
    if (ready.length > 0 && !this.stopped && this.stream) {
      this.stream.send(COORDINATE.encodeRequest({ readyForHandshake: ready })).catch(ignore);
    }
    this.host.peerUpdatesReceived(updates.length, ready.length);
  }

  onEnd(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.env.observer?.agentSocket(this.host.agentId, false, this.env.clock.wallNow());
    this.env.scheduler.cancel(this.task);
    const leaving = this.leaving;
    this.leaving = undefined;
    if (leaving) return leaving();
    if (this.stopped || !this.port.live) return;
    this.port.client.recordFailure(COORDINATE.path, error ? rpcErrorClass(error) : 'drpc_eof');
    this.port.teardown();
  }

  private sendNode(): void {
    const stream = this.stream;
    if (!stream) return;
    const { host, env } = this;
    const seq = host.nextSeq();
    const at = env.clock.wallNow();
    // A failed send shows up as the stream's end (onEnd), which decides what it means.
    stream.send(host.nodeProto.encodeUpdateSelf(seq, at)).catch(ignore);
    host.nodeSent();
    env.observer?.agentSent(host.agentId, seq, at);
  }

  private schedule(): void {
    const { nodeUpdateInterval, nodeUpdateJitter } = this.env.options;
    this.env.scheduler.schedule(this.task, this.host.jitter.jitter(nodeUpdateInterval, nodeUpdateJitter));
  }
}

/**
 * Tailnet.StreamDERPMaps for one session (docs/protocol-v2.md §4.2): the maps are read and
 * counted but not kept (a fleet holds thousands of agents; the map is the same for all). The
 * stream ending while the session is live is a session failure.
 */
export class DerpMapRoutine implements MessageListener {
  private stopped = false;

  constructor(
    private readonly port: SessionPort,
    private readonly host: { derpMapReceived(): void },
  ) {}

  start(): void {
    let stream: DrpcClientStream;
    try {
      stream = this.port.client.streamDerpMaps();
    } catch (error) {
      this.port.client.recordFailure(TAILNET_RPC.StreamDERPMaps.path, rpcErrorClass(error));
      return this.port.teardown();
    }
    stream.listen(this);
  }

  stop(): void {
    this.stopped = true;
  }

  onMessage(bytes: Uint8Array): void {
    try {
      TAILNET_RPC.StreamDERPMaps.decodeResponse(bytes);
    } catch {
      this.port.client.recordFailure(TAILNET_RPC.StreamDERPMaps.path, 'decode');
      return;
    }
    this.host.derpMapReceived();
  }

  onEnd(error: Error | undefined): void {
    if (this.stopped || !this.port.live) return;
    this.port.client.recordFailure(TAILNET_RPC.StreamDERPMaps.path, error ? rpcErrorClass(error) : 'drpc_eof');
    this.port.teardown();
  }
}

function ignore(): void {}
