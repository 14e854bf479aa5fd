import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunTarget } from './target.js';

/**
 * Schedules the scenario's faults against the embedded server (validation already rejects
 * faults with a real target). Timers stop with the run.
 */
export function scheduleFaults(scenario: Scenario, target: RunTarget, signal: AbortSignal, log: Logger, clock: Clock): { cancel(): void } {
  const timers: TimerHandle[] = [];
  const server = target.server;
  for (const fault of scenario.faults ?? []) {
    if (!server) break;
    const timer = clock.setTimeout(() => {
      if (signal.aborted) return;
      void Promise.resolve(server.dropAgentSockets(fault.fraction))
        .then((dropped) => log.info(`fault at ${fault.at} ms: dropped ${dropped} agent socket(s)`))
        .catch((error: unknown) => log.warn(`fault at ${fault.at} ms failed: ${(error as Error).message}`));
    }, fault.at);
    timers.push(timer);
  }
  return { cancel: () => timers.forEach((timer) => clock.clearTimeout(timer)) };
}
