import { performance } from 'node:perf_hooks';

/**
 * Time source injected wherever timing matters, so tests can drive it.
 * `now()` is monotonic milliseconds with sub-ms precision; `wallNow()` is epoch milliseconds.
 */
export interface Clock {
  now(): number;
  wallNow(): number;
}

/** The real clock: performance.now() for intervals, Date.now() anchored once for wall time. */
export function systemClock(): Clock {
  const wallAtOrigin = Date.now() - performance.now();
  return {
    now: () => performance.now(),
    // Wall time derived from the monotonic clock keeps µs precision and never steps backwards.
    wallNow: () => wallAtOrigin + performance.now(),
  };
}
