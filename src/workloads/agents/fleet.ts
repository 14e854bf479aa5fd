import { performance } from 'node:perf_hooks';
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

/** Time one turn of the event loop may spend starting agents (see `paced` in the fleet). */
const START_SLICE_MS = 5;

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
      const choice = resolved.httpChoice;
      ctx.metrics.gauge(METRIC.httpModel, 1, { model: choice.model, chosen: choice.chosen, openFilesLimit: String(choice.openFilesLimit ?? 0) });
      if (choice.chosen === 'fd-budget')
        ctx.log.warn(`${choice.reason ?? 'one connection per agent does not fit'}: the agents share one pool instead (agents.http "shared")`);
      const connections = createFleetConnections({
        model: resolved.http,
        baseUrl: ctx.target.url,
        connections: resolved.httpConnections,
        localAddresses: resolved.localAddresses,
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
      const startOne = (dueAt: number): void => {
        const index = active.length;
        const rng = ctx.rng.fork(`agent-${index}`);
        const agent = FakeAgentV2 ? new FakeAgentV2(index, credentials[index]!, env, rng) : new FakeAgent(index, credentials[index]!, env, rng);
        active.push(agent);
        reports.set(index, agent.report);
        void agent.start(dueAt);
      };
      // Timer bunching: when the loop runs late, every start timer already due fires in one
      // timer run, and a burst of a thousand agents (their constructors, first requests, TCP
      // connects) would hold the event loop for seconds while every response waits unread. Each
      // turn of the loop spends at most START_SLICE_MS starting agents (at least one); the rest
      // follow a timer run later, after I/O, and their lateness counts as time queued (each
      // keeps its planned dueAt). A slice, not a count, so a fast machine starts more per turn.
      let turnStartedAt = -1;
      /** Counts turns of the loop (setImmediate ends one), so a deferred start knows whether one ended. */
      let turn = 0;
      const resetTurn = (): void => {
        turnStartedAt = -1;
        turn++;
      };
      /** `deferredIn`: the turn in which this start was deferred. */
      const paced = (dueAt: number, deferredIn?: number): void => {
        // No turn ended since this start was deferred: its timer fired inside the same run of
        // timers, as a manual clock's advance does (the setImmediate that ends a turn never runs
        // inside one). It begins a slice of its own, so the start still happens instead of
        // re-arming at 0 ms for ever on a machine slower than the slice.
        if (deferredIn === turn) turnStartedAt = -1;
        // Real time, not the run's clock: the slice bounds how long this process's loop is held.
        const now = performance.now();
        if (turnStartedAt < 0) {
          turnStartedAt = now;
          setImmediate(resetTurn);
        } else if (now - turnStartedAt >= START_SLICE_MS) {
          const deferredInTurn = turn;
          const timer = clock.setTimeout(() => {
            pending.delete(timer);
            paced(dueAt, deferredInTurn);
          }, 0);
          pending.add(timer);
          return;
        }
        startOne(dueAt);
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
            const delay = (j * resolved.tickMs) / more;
            const dueAt = clock.now() + delay;
            const timer = clock.setTimeout(() => {
              pending.delete(timer);
              paced(dueAt);
            }, delay);
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
