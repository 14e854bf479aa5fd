import { systemClock, type Clock, type TimerHandle, type Ticker } from '../../../../src/core/clock.js';
import type { StopSignal } from '../../../../src/client/stop-signal.js';

interface PausableTimer {
  live: boolean;
  inner: TimerHandle | undefined;
}

/**
 * The system clock with a pause: timers that come due while paused are held and run on
 * `resume()`. A loopback test pauses a fleet's clock to make it quiet (no periodic call, node
 * update or lifecycle step can start) before it compares counts with the server or drops its
 * sockets; real I/O keeps flowing meanwhile.
 */
export class PausableClock implements Clock {
  private readonly inner = systemClock();
  private paused = false;
  private held: (() => void)[] = [];

  now(): number {
    return this.inner.now();
  }

  wallNow(): number {
    return this.inner.wallNow();
  }

  setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    const timer: PausableTimer = { live: true, inner: undefined };
    const run = (): void => {
      if (!timer.live) return;
      timer.live = false;
      callback(arg as A);
    };
    timer.inner = this.inner.setTimeout(() => (this.paused ? this.held.push(run) : run()), ms);
    return timer;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    const t = timer as PausableTimer | undefined;
    if (!t) return;
    t.live = false;
    this.inner.clearTimeout(t.inner);
  }

  sleep(ms: number, signal?: StopSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = {
        handleEvent: () => {
          this.clearTimeout(timer);
          resolve(false);
        },
      };
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  every(intervalMs: number, callback: () => void, signal?: StopSignal): Ticker {
    let due = this.now() + intervalMs;
    let stopped = false;
    let timer: TimerHandle | undefined;
    const tick = (): void => {
      if (stopped) return;
      const now = this.now();
      do due += intervalMs;
      while (due <= now);
      timer = this.setTimeout(tick, due - now);
      callback();
    };
    timer = this.setTimeout(tick, intervalMs);
    const ticker = {
      stop: () => {
        stopped = true;
        this.clearTimeout(timer);
      },
    };
    signal?.addEventListener('abort', { handleEvent: ticker.stop }, { once: true });
    if (signal?.aborted) ticker.stop();
    return ticker;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const run of held) run();
  }
}
