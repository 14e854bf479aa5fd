import type { Clock } from '../core/clock.js';
import { StopSource, type StopSignal } from '../client/stop-signal.js';

/** Resolves once `signal` aborts (at once if it already has). */
export function untilAborted(signal: StopSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** What {@link withinGrace} saw: the promise's value, or that the grace ran out first. */
export type GraceOutcome<T> = { settled: true; value: T } | { settled: false };

/**
 * Waits for `promise` at most `graceMs` of clock time (the run's stop grace). The grace timer
 * is cleared as soon as the promise settles, so nothing keeps the process alive afterwards.
 * A rejection propagates.
 */
export async function withinGrace<T>(clock: Clock, promise: Promise<T>, graceMs: number): Promise<GraceOutcome<T>> {
  const done = new StopSource();
  try {
    return await Promise.race([
      promise.then((value): GraceOutcome<T> => ({ settled: true, value })),
      clock.sleep(graceMs, done).then((): GraceOutcome<T> => ({ settled: false })),
    ]);
  } finally {
    done.abort();
  }
}
