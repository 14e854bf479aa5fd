import type { Clock } from '../../src/core/clock.js';

/** A clock tests move by hand. */
export function fakeClock(startWallMs = 1_800_000_000_000): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = 0;
  return {
    now: () => t,
    wallNow: () => startWallMs + t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}
