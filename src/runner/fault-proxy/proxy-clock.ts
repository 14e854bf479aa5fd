import { performance } from 'node:perf_hooks';

/**
 * The time source and timers of the fault proxy. Injected so a run can drive action windows
 * from its own clock (and tests from a manual one); every delay the proxy adds (latency,
 * bandwidth slices, slow close, action ends) goes through `setTimeout` here.
 */
export interface ProxyClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ProxyTimer;
  clearTimeout(timer: ProxyTimer): void;
}

/** Opaque timer handle. */
export type ProxyTimer = unknown;

/** performance.now() and Node timers; timers are unref'd so a forgotten window never holds the process. */
export function systemProxyClock(): ProxyClock {
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)).unref(),
    clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  };
}
