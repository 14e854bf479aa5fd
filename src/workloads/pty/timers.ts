import type { Clock } from '../../core/clock.js';

/** Cancels a timer; safe to call twice. */
export type Cancel = () => void;

/** One-shot timers on the run's clock, so tests can drive a PTY session's schedule. */
export interface Timers {
  after(ms: number, fn: () => void): Cancel;
}

type TimerClock = Clock & { setTimeout?: (fn: () => void, ms: number) => unknown; clearTimeout?: (handle: unknown) => void };

/**
 * Timers from the injected clock when it schedules (`clock.setTimeout`), else the event loop's.
 * Every PTY timer goes through here, so the workload never holds a bare handle it could leak.
 */
export function clockTimers(clock: Clock): Timers {
  const c = clock as TimerClock;
  if (typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function') {
    const set = c.setTimeout.bind(c);
    const clear = c.clearTimeout.bind(c);
    return {
      after(ms, fn) {
        const handle = set(fn, Math.max(0, ms));
        return () => clear(handle);
      },
    };
  }
  return {
    after(ms, fn) {
      const handle = setTimeout(fn, Math.max(0, ms));
      return () => clearTimeout(handle);
    },
  };
}

/** A version 4 UUID from 16 random bytes (the reconnect id; seeded, so runs repeat). */
export function uuidV4(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
