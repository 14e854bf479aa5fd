import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FaultLog } from '../metrics/fault-log.js';
import type { ProxyAction } from './fault-proxy/actions.js';
import { isProxyFault, type EmbeddedFault, type ScenarioFault } from '../scenario/faults.js';

/** What the timeline needs of the embedded server (RemoteReferenceServer has it). */
export interface ServerFaultControl {
  dropAgentSockets(fraction?: number): Promise<number>;
  restart: { down(): Promise<number>; up(): Promise<void> };
  revokeTokens(fraction?: number): Promise<{ revoked: number; dropped: number }>;
  restoreTokens(): Promise<number>;
}

/** What the timeline needs of the fault proxy (ProxyProcess has it). */
export interface ProxyFaultControl {
  apply(action: ProxyAction): Promise<{ affected: number; ended: Promise<void> }>;
}

export interface FaultTimelineOptions {
  faults: readonly ScenarioFault[];
  /** Present when the target is the embedded server. */
  server?: ServerFaultControl;
  /** Present when the scenario has network faults (the proxy is in the fleet's path). */
  proxy?: ProxyFaultControl;
  /** Stamps each fault's actual start and end on the recorder's clock. */
  faultLog: FaultLog;
  /** Run-relative ms now (the recorder's `elapsedMs`), for the log lines. */
  elapsedMs: () => number;
  signal: AbortSignal;
  log: Logger;
  /** The run's clock: the faults' `at` and a restart's `downFor` run on its timers. */
  clock: Clock;
}

export interface FaultTimeline {
  /** Stops faults that have not started; brings a restarted server back up. Idempotent. */
  cancel(): void;
}

/**
 * Schedules the scenario's faults: each starts `at` ms after this call (the run's start),
 * through the embedded server (drop-agent-sockets, restart-target, revoke/restore-tokens) or
 * the fault proxy (network faults). Validation has already rejected faults a target cannot
 * carry. Each fault's actual window goes into the fault log and one log line marks its start
 * and one its end. A fault still running when the run stops is left open: the fault log ends it
 * at the run's end mark.
 */
export function scheduleFaultTimeline(options: FaultTimelineOptions): FaultTimeline {
  const { faultLog, log, signal, clock } = options;
  const timers = new Set<TimerHandle>();
  const revokeWindows: (() => void)[] = [];
  let serverDown = false;
  let cancelled = false;
  const at = (): string => `${(options.elapsedMs() / 1000).toFixed(1)}s`;
  const later = (ms: number, fn: () => void): void => {
    const timer = clock.setTimeout(() => {
      timers.delete(timer);
      if (!cancelled && !signal.aborted) fn();
    }, ms);
    timers.add(timer);
  };
  const failed = (fault: ScenarioFault) => (error: unknown) => log.warn(`fault ${fault.action} at ${at()} failed: ${(error as Error).message}`);
  /** Ends a window unless the run is stopping (then the log ends it at the end mark). */
  const ending = (end: () => void) => () => {
    if (!signal.aborted) end();
  };

  const runEmbedded = async (fault: EmbeddedFault, server: ServerFaultControl): Promise<void> => {
    switch (fault.action) {
      case 'drop-agent-sockets': {
        faultLog.instant(fault.action);
        const dropped = await server.dropAgentSockets(fault.fraction);
        log.info(`fault drop-agent-sockets at ${at()}: dropped ${dropped} agent socket(s) (instant)`);
        return;
      }
      case 'restart-target': {
        const end = ending(faultLog.begin(fault.action));
        serverDown = true;
        const cut = await server.restart.down();
        log.info(`fault restart-target started at ${at()}: embedded server down, ${cut} connection(s) cut; back in ${fault.downFor} ms`);
        later(fault.downFor, () => {
          void server.restart.up().then(() => {
            serverDown = false;
            end();
            log.info(`fault restart-target ended at ${at()}: listening again on the same port`);
          }, failed(fault));
        });
        return;
      }
      case 'revoke-tokens': {
        revokeWindows.push(ending(faultLog.begin(fault.action)));
        const { revoked, dropped } = await server.revokeTokens(fault.fraction);
        log.info(`fault revoke-tokens started at ${at()}: ${revoked} agent token(s) revoked, ${dropped} socket(s) closed`);
        return;
      }
      case 'restore-tokens': {
        const restored = await server.restoreTokens();
        for (const end of revokeWindows.splice(0)) end();
        log.info(`fault revoke-tokens ended at ${at()} (restore-tokens): ${restored} token(s) accepted again`);
        return;
      }
    }
  };

  const runProxy = async (fault: ProxyAction, proxy: ProxyFaultControl): Promise<void> => {
    const end = ending(faultLog.begin(fault.action));
    const { affected, ended } = await proxy.apply(fault);
    log.info(
      `fault ${fault.action} started at ${at()}: ${affected} connection(s) affected${fault.duration > 0 ? `; ends in ${fault.duration} ms` : ' (instant)'}`,
    );
    void ended.then(() => {
      if (signal.aborted) return;
      end();
      if (fault.duration > 0) log.info(`fault ${fault.action} ended at ${at()}`);
    });
  };

  for (const fault of options.faults) {
    later(fault.at, () => {
      if (isProxyFault(fault)) {
        if (!options.proxy) return log.warn(`fault ${fault.action} skipped: no fault proxy in the path`);
        void runProxy(fault, options.proxy).catch(failed(fault));
      } else {
        if (!options.server) return log.warn(`fault ${fault.action} skipped: it needs the embedded server`);
        void runEmbedded(fault, options.server).catch(failed(fault));
      }
    });
  }

  return {
    cancel() {
      if (cancelled) return;
      cancelled = true;
      for (const timer of timers) clock.clearTimeout(timer);
      timers.clear();
      // Leave the server as it was found, so the fleet's last closes and the target's own
      // shutdown are not met by a closed port.
      if (serverDown && options.server) void options.server.restart.up().catch(() => {});
    },
  };
}
