/**
 * yamux pings for one session (docs/protocol-v2.md §1.6, §1.7): user pings with a measured round
 * trip, and the keepalive (hashicorp: a ping every 30 s; any ping unanswered within
 * ConnectionWriteTimeout, 10 s, ends the session with "keepalive timeout"). One keepalive timer
 * and one timeout timer per session, created only while needed.
 */
import type { TimerClock, TimerHandle } from '../../core/clock.js';

interface PendingPing {
  startedAt: number;
  resolve?: (rttMs: number) => void;
  reject?: (error: Error) => void;
}

/** What the pinger needs from its session. */
export interface PingerHost {
  sendPing(id: number): void;
  /** A ping went unanswered: end the session. */
  pingTimedOut(): void;
}

export class YamuxPinger {
  private pending: Map<number, PendingPing> | null = null;
  private nextId = 0;
  private keepAliveTimer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly host: PingerHost,
    private readonly timers: TimerClock,
    private readonly keepAliveIntervalMs: number,
    private readonly timeoutMs: number,
  ) {
    this.armKeepAlive();
  }

  /** Sends a ping; resolves with the round trip in ms. */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => this.send({ startedAt: this.timers.now(), resolve, reject }));
  }

  /** A Ping+ACK arrived. */
  answered(id: number): void {
    const pending = this.pending?.get(id);
    if (!pending) return;
    this.pending?.delete(id);
    if (this.pending?.size === 0 && this.timeoutTimer !== undefined) {
      this.timers.clearTimeout(this.timeoutTimer);
      this.timeoutTimer = undefined;
    }
    pending.resolve?.(this.timers.now() - pending.startedAt);
  }

  /** Clears the timers and fails outstanding pings. */
  stop(error: Error): void {
    this.stopped = true;
    this.timers.clearTimeout(this.keepAliveTimer);
    this.timers.clearTimeout(this.timeoutTimer);
    this.keepAliveTimer = this.timeoutTimer = undefined;
    const pending = this.pending;
    this.pending = null;
    if (pending) for (const p of pending.values()) p.reject?.(error);
  }

  private send(pending: PendingPing): void {
    if (this.stopped) return pending.reject?.(new Error('session closed'));
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    (this.pending ??= new Map()).set(id, pending);
    this.host.sendPing(id);
    if (this.timeoutTimer === undefined) this.timeoutTimer = this.timers.setTimeout(YamuxPinger.onTimeout, this.timeoutMs, this);
  }

  // Timer callbacks are static and get the pinger as their argument: no closure per timer.
  private static onTimeout(self: YamuxPinger): void {
    self.timeoutTimer = undefined;
    // One timer covers all outstanding pings; any unanswered one ends the session, as in Go.
    if (self.pending && self.pending.size > 0) self.host.pingTimedOut();
  }

  private static onKeepAlive(self: YamuxPinger): void {
    self.keepAliveTimer = undefined;
    if (self.stopped) return;
    self.send({ startedAt: self.timers.now() });
    self.armKeepAlive();
  }

  private armKeepAlive(): void {
    if (this.keepAliveIntervalMs <= 0 || this.stopped) return;
    this.keepAliveTimer = this.timers.setTimeout(YamuxPinger.onKeepAlive, this.keepAliveIntervalMs, this);
  }
}
