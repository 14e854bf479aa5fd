import type { Clock } from '../../core/clock.js';

/** Cancels a timer; safe to call twice. */
export type Cancel = () => void;

/** One-shot timers on the run's clock, handed out as cancel functions. */
export interface Timers {
  after(ms: number, fn: () => void): Cancel;
}

/**
 * Timers on the injected clock, so tests can drive a PTY session's schedule with a manual clock.
 * Every PTY timer goes through here, so the workload never holds a bare handle it could leak.
 */
export function clockTimers(clock: Clock): Timers {
  return {
    after(ms, fn) {
      const handle = clock.setTimeout(fn, Math.max(0, ms));
      return () => clock.clearTimeout(handle);
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
