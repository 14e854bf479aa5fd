import type { ProxyAction } from './actions.js';
import type { ActionHandle, FaultProxy } from './fault-proxy.js';
import { backgroundClock, type TimerClock, type TimerHandle } from '../../core/clock.js';

export interface ProxySchedule {
  /** Handles of the actions applied so far, in the order they started. */
  readonly applied: readonly ActionHandle[];
  /** Stops actions that have not started and ends the running ones. */
  cancel(): void;
}

/**
 * Applies each action `at` ms after now (the run's start); each one then ends by itself after
 * its duration. Aborting the signal cancels the rest, so the proxy is clean when the run ends.
 */
export function scheduleProxyActions(
  proxy: FaultProxy,
  actions: readonly ProxyAction[],
  options: { signal?: AbortSignal; clock?: TimerClock; onApplied?: (handle: ActionHandle) => void } = {},
): ProxySchedule {
  const clock = options.clock ?? backgroundClock();
  const applied: ActionHandle[] = [];
  const timers: TimerHandle[] = [];
  let cancelled = false;
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    for (const timer of timers) clock.clearTimeout(timer);
    for (const handle of applied) handle.end();
    options.signal?.removeEventListener('abort', cancel);
  };
  if (options.signal?.aborted) cancelled = true;
  else options.signal?.addEventListener('abort', cancel, { once: true });
  for (const action of cancelled ? [] : actions) {
    timers.push(
      clock.setTimeout(() => {
        if (cancelled) return;
        const handle = proxy.apply(action);
        applied.push(handle);
        options.onApplied?.(handle);
      }, action.at),
    );
  }
  return { applied, cancel };
}
