import type { ManualClock } from '../../src/core/clock.js';

/**
 * The one time limit of {@link eventually}, in real milliseconds. Generous on purpose: the suite
 * runs on small shared machines, and a check that holds returns as soon as it does, so the limit
 * only bounds how long a broken test hangs. It is a failure bound, never a measurement.
 */
export const EVENTUALLY_LIMIT_MS = 10_000;

/** Real time between two tries: long enough to let loopback I/O progress. */
const RETRY_EVERY_MS = 5;

export interface EventuallyOptions {
  /** What is awaited (or a function giving it, for state at the time), for the failure message. */
  what?: string | (() => string);
  /**
   * Code under test that waits on this manual clock: before each retry, move it `stepMs`
   * forward (with {@link ManualClock.advanceAsync}), so time-driven work progresses without
   * real waiting while loopback I/O gets a few real ms.
   */
  clock?: ManualClock;
  /** Manual ms per retry (default 10). */
  stepMs?: number;
}

/**
 * Retries `check` until it passes: it neither throws nor returns `false`. Returns its last value.
 * For state that settles asynchronously (sockets, loopback requests); never a sleep as an
 * assertion. After {@link EVENTUALLY_LIMIT_MS} it fails with the last error or `what`.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions | string = {}): Promise<T> {
  const opts: EventuallyOptions = typeof options === 'string' ? { what: options } : options;
  const deadline = Date.now() + EVENTUALLY_LIMIT_MS;
  for (;;) {
    let failure: unknown;
    try {
      const value = await check();
      if (value !== false) return value;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      const what = typeof opts.what === 'function' ? opts.what() : opts.what;
      const message = `eventually: still failing after ${EVENTUALLY_LIMIT_MS} ms${what ? `: ${what}` : ''}`;
      throw failure instanceof Error ? Object.assign(failure, { message: `${message}\n${failure.message}` }) : new Error(message);
    }
    if (opts.clock) await opts.clock.advanceAsync(opts.stepMs ?? 10);
    await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
  }
}
