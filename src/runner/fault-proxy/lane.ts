import type { Socket } from 'node:net';
import type { TimerClock, TimerHandle } from '../../core/clock.js';

/** What the active toxics do to one direction of one connection. */
export interface LaneEffects {
  /** Extra delay for the next chunk in ms (the sum of the active latency toxics, jitter drawn). */
  delay: (() => number) | undefined;
  /** The tightest active bandwidth limit, if any. */
  bytesPerSecond: number | undefined;
  /** Hold-back of the end of stream (the longest active slow-close), 0 for none. */
  slowCloseMs: number;
  /** Forward nothing (blackhole): stop reading, so data waits in the kernel buffers as in a partition. */
  hold: boolean;
}

export const NO_EFFECTS: LaneEffects = Object.freeze({ delay: undefined, bytesPerSecond: undefined, slowCloseMs: 0, hold: false });

/** True when nothing is active, so the lane can run as a plain pipe. */
export const isIdle = (e: LaneEffects): boolean => !e.hold && e.slowCloseMs === 0 && e.bytesPerSecond === undefined && e.delay === undefined;

/** Stop reading the source once this much is queued inside the proxy (latency, bandwidth). */
const QUEUE_HIGH_WATER = 1 << 20;

interface Item {
  /** A chunk, or null for the end of stream (FIN). */
  data: Buffer | null;
  /** Not released before this time (latency, slow close). */
  readyAt: number;
}

/**
 * One direction of a proxied connection. Idle, it is a plain `source.pipe(dest)` (the fast
 * path: no per-chunk work of ours). While any toxic is active it reads chunks itself, stamps
 * each with its release time (arrival + latency, never before the previous chunk so order is
 * kept), meters them through a token bucket when throttled, and holds the FIN back for
 * slow-close. When the toxics end and the queue has drained it goes back to the pipe.
 */
export class Lane {
  private mode: 'fast' | 'toxic' = 'fast';
  private effects: LaneEffects = NO_EFFECTS;
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private lastReadyAt = -Infinity;
  private timer: TimerHandle | undefined;
  private waitingDrain = false;
  private paused = false;
  private sourceEnded = false;
  private disposed = false;
  // Token bucket: capacity is one slice (1/20 s of the rate), so at most ~20 timers a second.
  private tokens = 0;
  private bucketRate = 0;
  private lastRefill = 0;

  constructor(
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly clock: TimerClock,
  ) {
    source.once('end', () => (this.sourceEnded = true));
  }

  /** Starts forwarding on the fast path, or on the toxic path if effects were set first. */
  start(): void {
    if (this.mode === 'fast') this.source.pipe(this.dest);
    else this.enterToxic(false);
  }

  /** True while the lane runs its own per-chunk path. */
  get toxic(): boolean {
    return this.mode === 'toxic';
  }

  /** Bytes read from the source and not yet written to the destination. */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Changes the active effects; switches paths as needed. Call before start() to begin toxic. */
  setEffects(effects: LaneEffects, started = true): void {
    if (this.disposed) return;
    this.effects = effects;
    if (!isIdle(effects) && this.mode === 'fast') {
      if (started) this.enterToxic(true);
      else this.mode = 'toxic';
      return;
    }
    this.pump();
  }

  /** Drops everything queued and stops timers (the connection is going away). */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private enterToxic(wasPiped: boolean): void {
    this.mode = 'toxic';
    if (wasPiped) this.source.unpipe(this.dest);
    // The FIN already went through the pipe: nothing left to carry.
    if (this.sourceEnded && wasPiped) return;
    // Paused before the 'data' listener goes on, so adding it does not start the flow by itself:
    // updateFlow decides (a blackhole keeps it stopped).
    this.source.pause();
    this.paused = true;
    this.source.on('data', this.onData);
    this.source.once('end', this.onEnd);
    this.updateFlow();
  }

  private leaveToxic(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.mode = 'fast';
    this.lastReadyAt = -Infinity;
    if (this.sourceEnded) return; // the FIN went out through the queue
    this.paused = false;
    this.source.pipe(this.dest); // pipe resumes the source itself
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.disposed) return;
    this.enqueue(chunk, this.effects.delay?.() ?? 0);
  };

  private readonly onEnd = (): void => {
    if (this.disposed) return;
    this.enqueue(null, (this.effects.delay?.() ?? 0) + this.effects.slowCloseMs);
  };

  private enqueue(data: Buffer | null, delayMs: number): void {
    const readyAt = Math.max(this.clock.now() + Math.max(0, delayMs), this.lastReadyAt);
    this.lastReadyAt = readyAt;
    this.queue.push({ data, readyAt });
    if (data) this.queuedBytes += data.length;
    this.pump();
  }

  /** Releases every item that is due, as far as bandwidth and the destination allow. */
  private pump(): void {
    if (this.disposed || this.mode !== 'toxic' || this.timer !== undefined || this.waitingDrain) return this.updateFlow();
    while (this.queue.length > 0 && !this.effects.hold) {
      const head = this.queue[0]!;
      const now = this.clock.now();
      if (head.readyAt > now) return this.wait(head.readyAt - now);
      if (head.data === null) {
        this.queue.shift();
        this.dest.end();
        continue;
      }
      let piece = head.data;
      const rate = this.effects.bytesPerSecond;
      if (rate !== undefined) {
        const capacity = this.refill(rate, now);
        const want = Math.min(piece.length, capacity);
        if (this.tokens < want) return this.wait(((want - this.tokens) * 1000) / rate);
        const n = Math.min(piece.length, Math.floor(this.tokens));
        this.tokens -= n;
        if (n < piece.length) {
          head.data = piece.subarray(n);
          piece = piece.subarray(0, n);
        } else this.queue.shift();
      } else this.queue.shift();
      this.queuedBytes -= piece.length;
      if (!this.dest.write(piece)) {
        this.waitingDrain = true;
        this.dest.once('drain', this.onDrain);
        break;
      }
    }
    this.updateFlow();
    if (this.queue.length === 0 && !this.waitingDrain && isIdle(this.effects)) this.leaveToxic();
  }

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.pump();
  };

  private wait(ms: number): void {
    // Timers may fire a fraction of a millisecond early; never release before the due time.
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(ms)),
    );
    this.updateFlow();
  }

  /** Tops up the bucket; returns its capacity. A new or changed rate starts from a full bucket. */
  private refill(rate: number, now: number): number {
    const capacity = Math.max(1, Math.min(65_536, Math.floor(rate / 20)));
    if (rate !== this.bucketRate) {
      this.bucketRate = rate;
      this.tokens = capacity;
    } else this.tokens = Math.min(capacity, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
    return capacity;
  }

  /** Reads from the source only while something can be done with the data. */
  private updateFlow(): void {
    if (this.mode !== 'toxic' || this.disposed) return;
    const stop = this.effects.hold || this.waitingDrain || this.queuedBytes > QUEUE_HIGH_WATER;
    if (stop && !this.paused) {
      this.paused = true;
      this.source.pause();
    } else if (!stop && this.paused) {
      this.paused = false;
      this.source.resume();
    }
  }
}
