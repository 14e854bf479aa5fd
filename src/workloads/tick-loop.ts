import type { Clock } from '../core/clock.js';
import type { StopSignal } from '../client/stop-signal.js';

/** Default period of a {@link followSchedule} loop. */
export const DEFAULT_TICK_MS = 100;

/** Why a {@link followSchedule} loop ended. */
export type TickLoopEnd = 'duration' | 'aborted' | 'stopped';

export interface TickLoopOptions {
  clock: Clock;
  /** Ends the loop early. */
  signal: StopSignal;
  /** Ticks this often (ms, > 0), on a fixed grid from the start. */
  tickMs: number;
  /** The loop ends this long after it started (ms); no tick runs at or after it. */
  durationMs: number;
  /**
   * Called at once and then every `tickMs` with the ms elapsed since the start; returning
   * false ends the loop ('stopped').
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a tick callback that returns nothing (`() => {}`) must type-check and keeps the loop going.
  tick(elapsedMs: number): boolean | void;
}

/**
 * The loop every schedule-following workload runs (agent fleet, peers): re-read the schedule
 * every tick until the duration is over or the signal aborts. One clock ticker plus one
 * deadline timer, both on the injected clock, so tests drive a ramp with a manual clock.
 */
export function followSchedule(options: TickLoopOptions): Promise<TickLoopEnd> {
  const { clock, signal } = options;
  if (signal.aborted) return Promise.resolve('aborted');
  const startedAt = clock.now();
  return new Promise<TickLoopEnd>((resolve) => {
    let ended = false;
    const end = (why: TickLoopEnd): void => {
      if (ended) return;
      ended = true;
      ticker.stop();
      clock.clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = (): void => end('aborted');
    const tick = (): void => {
      if (ended) return;
      const elapsed = clock.now() - startedAt;
      if (elapsed >= options.durationMs) return end('duration');
      if (options.tick(elapsed) === false) end('stopped');
    };
    const ticker = clock.every(options.tickMs, tick);
    const deadline = clock.setTimeout(end, options.durationMs, 'duration' as TickLoopEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    tick();
  });
}
