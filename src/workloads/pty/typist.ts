import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { Cancel, Timers } from './timers.js';

/** At most this many overdue writes go out in one timer callback; the rest follow at once. */
const MAX_BURST = 256;

export interface TypistOptions {
  bytesPerSecond: number;
  messageSize: number;
  /** 0..1 spread of each gap. */
  jitter: number;
  clock: Clock;
  rng: Rng;
  timers: Timers;
  /** Sends one write planned for `intendedAt` (clock ms). */
  write(intendedAt: number): void;
}

/**
 * The open-model write schedule of one PTY connection: writes are planned at jittered gaps of
 * messageSize / bytesPerSecond from a random first phase and sent whatever the echoes do. A late
 * timer sends every overdue write with its own planned time, so event-loop lag and a slow target
 * show up as echo latency instead of silently lowering the rate (coordinated omission).
 */
export class Typist {
  private readonly interval: number;
  private next = 0;
  private cancel: Cancel | undefined;
  private running = false;

  constructor(private readonly o: TypistOptions) {
    this.interval = (o.messageSize / o.bytesPerSecond) * 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.next = this.o.clock.now() + this.o.rng.next() * this.interval;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  private arm(): void {
    this.cancel = this.o.timers.after(this.next - this.o.clock.now(), () => this.tick());
  }

  private tick(): void {
    this.cancel = undefined;
    if (!this.running) return;
    const now = this.o.clock.now();
    for (let n = 0; n < MAX_BURST && this.next <= now && this.running; n++) {
      this.o.write(this.next);
      this.next += this.o.rng.jitter(this.interval, this.o.jitter);
    }
    if (this.running) this.arm();
  }
}
