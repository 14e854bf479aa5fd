import { connect, type Socket } from 'node:net';
import type { Rng } from '../../core/rng.js';
import { coversDirection, isToxicAction, type ProxyAction, type ProxyDirection } from './actions.js';
import { Lane, NO_EFFECTS, type LaneEffects } from './lane.js';
import type { TimerClock } from '../../core/clock.js';

/** An action attached to one connection (only toxic ones change its lanes); `rng` draws jitter. */
export interface AppliedToxic {
  readonly action: ProxyAction;
  readonly rng: Rng;
}

export interface ConnectionHooks {
  /** The target accepted the proxy's connection. */
  targetConnected(): void;
  /** A connection that had reached the target closed. */
  targetClosed(): void;
  /** The proxy could not reach the target; the client is reset. */
  targetFailed(error: Error): void;
  /** Both sockets are closed. */
  closed(connection: ProxyConnection): void;
}

/**
 * Sends an RST instead of a FIN: what a load balancer dropping a flow or a crashed peer does.
 * A socket still connecting (or without a handle) can only be destroyed.
 */
export function rst(socket: Socket): void {
  if (socket.destroyed) return;
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  if (socket.connecting || !handle) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * One proxied TCP connection: the accepted client socket, the proxy's own socket to the target,
 * and a {@link Lane} each way (upstream = client → target, downstream = target → client).
 * Half-close is carried through (a client FIN reaches the target while the answer still flows),
 * an error on one side resets the other, so a broken pair looks broken to both peers.
 */
export class ProxyConnection {
  readonly upstream: Socket;
  readonly lanes: { readonly upstream: Lane; readonly downstream: Lane };
  readonly toxics = new Set<AppliedToxic>();
  private openSockets = 2;
  private reachedTarget = false;

  constructor(
    readonly id: number,
    readonly client: Socket,
    /** Where to connect, and from which local address (`--source-addresses`), if one. */
    target: { host: string; port: number; localAddress?: string },
    clock: TimerClock,
    private readonly hooks: ConnectionHooks,
  ) {
    this.upstream = connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      ...(target.localAddress ? { localAddress: target.localAddress } : {}),
    });
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    this.lanes = { upstream: new Lane(client, this.upstream, clock), downstream: new Lane(this.upstream, client, clock) };
    this.upstream.once('connect', () => {
      this.reachedTarget = true;
      hooks.targetConnected();
    });
    client.on('error', () => rst(this.upstream));
    this.upstream.on('error', (error) => {
      if (!this.reachedTarget) hooks.targetFailed(error);
      rst(this.client);
    });
    client.once('close', this.onSocketClosed);
    this.upstream.once('close', () => {
      if (this.reachedTarget) hooks.targetClosed();
      this.onSocketClosed();
    });
  }

  /** Starts forwarding, with whatever toxics were attached before. */
  start(): void {
    this.refresh(false);
    this.lanes.upstream.start();
    this.lanes.downstream.start();
  }

  /** Recomputes each lane's effects from the attached toxics. */
  refresh(started = true): void {
    this.lanes.upstream.setEffects(this.effectsFor('upstream'), started);
    this.lanes.downstream.setEffects(this.effectsFor('downstream'), started);
  }

  /** True while either direction runs the per-chunk (toxic) path. */
  get toxic(): boolean {
    return this.lanes.upstream.toxic || this.lanes.downstream.toxic;
  }

  get closed(): boolean {
    return this.openSockets === 0;
  }

  /** Bytes the proxy read from the client (upstream) and from the target (downstream). */
  bytes(): { upstream: number; downstream: number } {
    return { upstream: this.client.bytesRead, downstream: this.upstream.bytesRead };
  }

  /**
   * Tears the pair down with an RST to the side(s) `direction` names: `downstream` resets the
   * client, `upstream` the target, `both` both; the other side gets a plain close.
   */
  reset(direction: ProxyDirection): void {
    this.disposeLanes();
    if (coversDirection(direction, 'downstream')) rst(this.client);
    else this.client.destroy();
    if (coversDirection(direction, 'upstream')) rst(this.upstream);
    else this.upstream.destroy();
  }

  /** Closes both sockets without an RST (proxy shutdown). */
  destroy(): void {
    this.disposeLanes();
    this.client.destroy();
    this.upstream.destroy();
  }

  private disposeLanes(): void {
    this.lanes.upstream.dispose();
    this.lanes.downstream.dispose();
  }

  private readonly onSocketClosed = (): void => {
    if (--this.openSockets > 0) return;
    this.disposeLanes();
    this.hooks.closed(this);
  };

  private effectsFor(lane: 'upstream' | 'downstream'): LaneEffects {
    let latency: AppliedToxic[] | undefined;
    let bytesPerSecond: number | undefined;
    let slowCloseMs = 0;
    let hold = false;
    for (const toxic of this.toxics) {
      const a = toxic.action;
      if (!isToxicAction(a) || !coversDirection(a.direction, lane)) continue;
      if (a.action === 'latency') (latency ??= []).push(toxic);
      else if (a.action === 'bandwidth') bytesPerSecond = Math.min(bytesPerSecond ?? Infinity, a.bytesPerSecond);
      else if (a.action === 'slow-close') slowCloseMs = Math.max(slowCloseMs, a.ms);
      else hold = true;
    }
    if (!latency && bytesPerSecond === undefined && slowCloseMs === 0 && !hold) return NO_EFFECTS;
    const delay = latency && sampleDelay(latency);
    return { delay, bytesPerSecond, slowCloseMs, hold };
  }
}

/** Sum of the latency toxics, each `ms ± jitter` (uniform), never negative. */
function sampleDelay(toxics: readonly AppliedToxic[]): () => number {
  return () => {
    let total = 0;
    for (const { action, rng } of toxics) {
      if (action.action !== 'latency') continue;
      total += Math.max(0, action.ms + (action.jitter > 0 ? (rng.next() * 2 - 1) * action.jitter : 0));
    }
    return total;
  };
}
