import { ManualClock, type TimerHandle } from '../../src/core/clock.js';

export { ManualClock } from '../../src/core/clock.js';

/** Wall time of every test clock unless a test picks its own: a fixed instant, never "now". */
export const TEST_WALL_START_MS = Date.UTC(2026, 10, 29, 12, 0, 0);

/**
 * A clock that moves only when the test says so (`advance`, `advanceAsync`, `set`): the core
 * {@link ManualClock}, so code under test sets its timers on it like on the system clock.
 * `now()` starts at `startMs` (default 0), `wallNow()` at `wallStartMs`.
 */
export function manualClock(options: { startMs?: number; wallStartMs?: number } = {}): ManualClock {
  return new ManualClock(options.startMs ?? 0, options.wallStartMs ?? TEST_WALL_START_MS);
}

/**
 * A manual clock whose timers fire `earlyMs` (< 1) before they are due, as Node's do against
 * performance.now(): Node runs timers on a whole-ms loop time, and delays under 1 ms become 1 ms.
 * For pinning code that must not act before its due time.
 */
export class EarlyClock extends ManualClock {
  constructor(private readonly earlyMs: number) {
    super(0, TEST_WALL_START_MS);
  }

  override setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    return super.setTimeout(callback, Math.max(1, ms) - this.earlyMs, arg as A);
  }
}
