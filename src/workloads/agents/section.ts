/**
 * The scenario's `agents` section: the fake agent fleet. Its count, phases and ramps are also
 * the run's timeline (src/scenario/timeline.ts), which the plan, the embedded server's
 * fixtures and every other kind follow.
 */
import { z } from 'zod';
import type { DeepReadonly } from '../../core/deep-readonly.js';
import { formatDuration as fmt, showValue } from '../../scenario/duration.js';
import { count, duration, int, isObj, num, ratio, weight, weightSum, type ReportIssue } from '../../scenario/fields.js';
import { reconnectField, reconnectRules } from '../reconnect-section.js';

const SEMVER_V = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const phase = z.strictObject({ name: z.string().min(1).optional(), duration, to: count });

const auth = z
  .strictObject({ token: weight.optional(), aws: weight.optional(), azure: weight.optional(), google: weight.optional() })
  .transform((a) => ({ token: a.token ?? 0, aws: a.aws ?? 0, azure: a.azure ?? 0, google: a.google ?? 0 }));

const outcomes = z
  .strictObject({ ready: weight.optional(), start_error: weight.optional(), start_timeout: weight.optional() })
  .transform((o) => ({ ready: o.ready ?? 0, start_error: o.start_error ?? 0, start_timeout: o.start_timeout ?? 0 }));

export const agentsSection = z.strictObject({
  /** Peak agents. Defaults to the highest phase `to` when phases are given, else 10. */
  count: count.optional(),
  phases: z.array(phase).min(1).optional(),
  rampUp: duration.prefault('0s'),
  rampDown: duration.prefault('0s'),
  /**
   * Agent API: v1 REST + JSON coordinate (docs/protocol.md) or v2 dRPC on /me/rpc
   * (docs/protocol-v2.md); `auto` asks the target's buildinfo before the run
   * (src/runner/protocol-probe.ts), and workloads only ever see v1 or v2. Peers follow it.
   */
  protocol: z.enum(['v1', 'v2', 'auto']).default('v1'),
  auth: auth.prefault({ token: 1 }),
  version: z
    .string()
    .refine((v) => SEMVER_V.test(v), { error: (i) => `expected a version like "v0.15.3" (semver with a leading v), got ${showValue(i.input)}` })
    .default('v0.15.3'),
  nodeUpdateInterval: duration.prefault('30s'),
  nodeUpdateJitter: ratio.default(0.1),
  apps: z.strictObject({ checkInterval: duration.prefault('1s'), healthyAfter: duration.prefault('2s'), flapRate: ratio.default(0) }).prefault({}),
  lifecycle: z.strictObject({ outcomes: outcomes.prefault({ ready: 1 }), startupDuration: duration.prefault('1s') }).prefault({}),
  gitauth: ratio.default(0),
  /**
   * A git credential helper like a real agent's (`coder gitaskpass`, docs/protocol.md §5.5):
   * a seeded `share` of agents runs one git operation every `every` (the first at a seeded
   * offset inside it) against one of `urls`. Each looks the URL up (v1: GET /me/gitauth?url=,
   * v2: GET /me/external-auth?match=) on a connection of its own, as the helper is a process
   * of its own; a URL-only answer (the owner must sign in) starts a `listen` long poll, held
   * until answered or the agent stops, retried after errors with 250 ms → 10 s backoff.
   */
  gitAskpass: z
    .strictObject({
      share: ratio.default(0),
      every: duration.refine((ms) => ms > 0, { error: 'must be greater than 0, e.g. "5m"' }).prefault('5m'),
      urls: z.array(z.string().min(1)).min(1).default(['https://github.com/coder/coder.git']),
    })
    .prefault({}),
  pingInterval: duration.prefault('30s'),
  pingTimeout: duration.prefault('30s'),
  requestTimeout: duration.prefault('10s'),
  /** Backoff of the run loop after a drop or failure: the Go agent's 100 ms → 10 s, no jitter. */
  reconnect: reconnectField({ initial: '100ms', max: '10s' }),
  /**
   * REST connections: `per-agent` = each agent's own keep-alive connections, like a real fleet
   * (up to three descriptors per agent, so about a third of the agents per process); `shared` = one keep-alive pool
   * of `httpConnections` for the whole fleet (one process holds ~19,000 agents, but requests may
   * queue for a pooled connection); `auto` (default) = `per-agent` when the open-files limit
   * holds it, else `shared`, said in the report (src/workloads/agents/http-model.ts).
   */
  http: z.enum(['auto', 'per-agent', 'shared']).default('auto'),
  /** Size of the shared pool (with `http: shared`). */
  httpConnections: int().min(1).default(256),
});

/** The section with every default filled and `count` resolved (durations in ms). */
export type AgentsConfig = DeepReadonly<z.output<typeof agentsSection> & { count: number }>;
/** Instance-identity and token auth modes of a real agent (protocol §9, `--auth`). */
export type AuthMode = keyof AgentsConfig['auth'];
export type LifecycleOutcome = keyof AgentsConfig['lifecycle']['outcomes'];
/** Which agent API the fleet speaks. */
export type AgentProtocol = AgentsConfig['protocol'];

/** Fills `count`: the highest phase `to` when phases are given, else 10. */
export function resolveAgents(agents: z.output<typeof agentsSection>): z.output<typeof agentsSection> & { count: number } {
  const peak = agents.phases ? Math.max(...agents.phases.map((p) => p.to)) : undefined;
  return { ...agents, count: agents.count ?? peak ?? 10 };
}

/** The peak agent count of a (possibly half-parsed) section, when it can be known. */
export function agentsPeak(agents: unknown): number | undefined {
  if (!isObj(agents)) return undefined;
  const count = num(agents.count);
  if (Array.isArray(agents.phases) && agents.phases.length > 0) {
    const tos = agents.phases.filter(isObj).map((p) => num(p.to));
    const phasePeak = tos.every((t) => t !== undefined) ? Math.max(...(tos as number[])) : undefined;
    return count ?? phasePeak;
  }
  return count ?? (agents.count === undefined ? 10 : undefined);
}

/** Cross-field rules of the section (paths relative to it); `durationMs` is the run's. */
export function agentsRules(agents: Readonly<Record<string, unknown>>, durationMs: number | undefined, report: ReportIssue): void {
  const count = num(agents.count);
  const rampUp = num(agents.rampUp) ?? 0;
  const rampDown = num(agents.rampDown) ?? 0;
  if (Array.isArray(agents.phases) && agents.phases.length > 0) {
    const phases = agents.phases.filter(isObj);
    const tos = phases.map((p) => num(p.to));
    const durations = phases.map((p) => num(p.duration));
    const phasePeak = tos.every((t) => t !== undefined) ? Math.max(...(tos as number[])) : undefined;
    if (count !== undefined && phasePeak !== undefined && count < phasePeak) {
      report(['count'], `${count} is below the phases' peak of ${phasePeak}; raise it or leave it out (it defaults to the peak)`);
    }
    if (durations.every((d) => d !== undefined) && durationMs !== undefined) {
      const total = (durations as number[]).reduce((a, b) => a + b, 0);
      if (total > durationMs) report(['phases'], `the phases last ${fmt(total)} but duration is ${fmt(durationMs)}; shorten the phases or raise duration`);
    }
    if (rampUp > 0) report(['rampUp'], 'applies only without phases; add a ramp phase instead');
    if (rampDown > 0) report(['rampDown'], 'applies only without phases; add a ramp-down phase instead');
  } else if (durationMs !== undefined && rampUp + rampDown > durationMs) {
    report(['rampUp'], `rampUp (${fmt(rampUp)}) + rampDown (${fmt(rampDown)}) exceed duration (${fmt(durationMs)})`);
  }
  reconnectRules(agents.reconnect, report);
  if (weightSum(agents.auth) === 0) report(['auth'], 'the weights must sum to more than 0, e.g. { token: 1 }');
  if (isObj(agents.lifecycle) && weightSum(agents.lifecycle.outcomes) === 0) {
    report(['lifecycle', 'outcomes'], 'the weights must sum to more than 0, e.g. { ready: 1 }');
  }
}
