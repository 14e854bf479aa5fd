/**
 * The timers the yamux session uses (keepalive, ping timeout, stream open/close timeouts), behind
 * an interface so tests can drive them by hand instead of sleeping.
 */
import { performance } from 'node:perf_hooks';

export interface TimerHost {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Real timers, unref'd: a session's timers never keep the process alive on their own (the socket
 * does while it is open).
 */
export const realTimers: TimerHost = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
