import { FleetsimError } from '../../core/errors.js';
import { METRIC } from '../../metrics/names.js';
import type { Workload, WorkloadContext } from '../workload.js';
import type { AgentDeps } from './deps.js';
import { FakeAgent, type AgentReport, type FleetAgent, type FleetEnv } from './fake-agent.js';
import { SchedulerClock } from './v2/scheduled.js';
import { createFleetConnections } from './http-model.js';
import { realDeps } from './real-deps.js';
import type { AgentsConfig, AuthMode } from './section.js';
import { fleetSettings, type FleetRun } from './settings.js';
import { Gate } from './timing.js';
import { TimerHeap } from './timer-heap.js';
import { followSchedule } from '../tick-loop.js';
import type { TimerHandle } from '../../core/clock.js';

export type { AgentReport } from './fake-agent.js';

/** The fleet workload, plus a per-agent view of what the target accepted (tests, benches). */
export interface AgentFleet extends Workload {
  readonly kind: 'agents';
  /** One entry per agent started so far (the latest instance of each index), by index. */
  agents(): AgentReport[];
}

/** Test seam: replace the network/crypto (time comes from `ctx.clock`). */
export interface FleetOverrides {
  deps?: Partial<AgentDeps>;
}

/**
 * A fleet of fake agents that follows `options.schedule`: every tick it starts agents in index
 * order through `credentials.agents` (spread evenly inside the tick, so ramps are smooth) and
 * stops the highest-index agents on ramp-down. It speaks only the public agent API, so it runs
 * unchanged against any coderd of the era docs/protocol.md describes (`protocol: 'v1'`, the
 * default) or, with `protocol: 'v2'`, against any Coder ≥ 2.13 (docs/protocol-v2.md). `config`
 * is the validated `agents` section (the scenario schema holds its defaults and rules).
 */
export function createAgentFleet(config: AgentsConfig, options: FleetRun, overrides: FleetOverrides = {}): AgentFleet {
  const resolved = fleetSettings(config, options);
  const deps: AgentDeps = { ...realDeps, ...overrides.deps };
  const reports = new Map<number, AgentReport>();

  return {
    kind: 'agents',
    agents: () => [...reports.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
    async run(ctx: WorkloadContext): Promise<void> {
      const credentials = ctx.credentials.agents;
      const identityModes = (Object.keys(resolved.auth) as AuthMode[]).filter((m) => m !== 'token' && resolved.auth[m] > 0);
      if (identityModes.length > 0 && !ctx.credentials.identity) {
        throw new FleetsimError('usage', `agents.auth asks for ${identityModes.join(', ')} but the credentials hold no identity material`, {
          hint: 'use token auth against a real Coder, or the credentials written by the embedded server',
        });
      }
      // The v2 agent (protobuf, dRPC, yamux: a large module graph) is loaded only for a v2 fleet.
      const FakeAgentV2 = resolved.protocol === 'v2' ? (await import('./v2/fake-agent-v2.js')).FakeAgentV2 : undefined;
      const { clock } = ctx;
      const connections = createFleetConnections({
        model: resolved.http,
        baseUrl: ctx.target.url,
        connections: resolved.httpConnections,
        metrics: ctx.metrics,
        clock,
      });
      const transport = connections.shared.transport;
      const heap = new TimerHeap(clock);
      const env: FleetEnv = {
        options: resolved,
        http: connections.shared,
        connections,
        clock,
        metrics: ctx.metrics,
        log: ctx.log,
        deps,
        gate: new Gate(resolved.maxConcurrentDials),
        scheduler: heap,
        identity: ctx.credentials.identity,
        observer: options.observer,
        connected: { count: 0 },
        coordinateUrl: transport.baseUrl.replace(/^http/, 'ws') + '/api/v2/workspaceagents/me/coordinate',
        baseUrl: transport.baseUrl,
        timers: new SchedulerClock(heap, clock),
      };

      const active: FleetAgent[] = [];
      // Scheduled starts; each one starts the next index, so any of them may be cancelled.
      const pending = new Set<TimerHandle>();
      const stopping = new Set<Promise<void>>();
      let failure: FleetsimError | undefined;
      const startOne = (): void => {
        const index = active.length;
        const rng = ctx.rng.fork(`agent-${index}`);
        const agent = FakeAgentV2 ? new FakeAgentV2(index, credentials[index]!, env, rng) : new FakeAgent(index, credentials[index]!, env, rng);
        active.push(agent);
        reports.set(index, agent.report);
        void agent.start();
      };
      const stopTop = (): void => {
        const agent = active.pop();
        if (!agent) return;
        const done = agent.stop();
        stopping.add(done);
        void done.finally(() => stopping.delete(done));
      };
      const tick = (elapsedMs: number): boolean => {
        const wanted = Math.max(0, Math.floor(options.schedule(elapsedMs)));
        if (wanted > credentials.length) {
          failure = new FleetsimError('usage', `the schedule wants ${wanted} agents but the credentials hold ${credentials.length}`);
          return false;
        }
        const planned = active.length + pending.size;
        if (wanted > planned) {
          const more = wanted - planned;
          for (let j = 0; j < more; j++) {
            const timer = clock.setTimeout(
              () => {
                pending.delete(timer);
                startOne();
              },
              (j * resolved.tickMs) / more,
            );
            pending.add(timer);
          }
        } else if (wanted < planned) {
          let fewer = planned - wanted;
          for (const timer of pending) {
            if (fewer === 0) break;
            clock.clearTimeout(timer);
            pending.delete(timer);
            fewer--;
          }
          while (fewer-- > 0) stopTop();
        }
        return true;
      };

      await followSchedule({ clock, signal: ctx.signal, tickMs: resolved.tickMs, durationMs: options.durationMs, tick });

      for (const timer of pending) clock.clearTimeout(timer);
      pending.clear();
      while (active.length > 0) stopTop();
      await Promise.allSettled([...stopping]);
      heap.clear();
      await connections.close();
      ctx.metrics.gauge(METRIC.agentsConnected, env.connected.count);
      if (failure) throw failure;
    },
  };
}
