/**
 * The pure plan of a scenario: the agent timeline, peers, expected traffic, the REST window,
 * faults and thresholds. No I/O and no clock, so `fleetsim plan` and tests can show what a run
 * will do; the plan is plain JSON and goes into the run summary as is.
 */
import { withoutUserInfo } from '../core/url.js';
import { ENDPOINT } from '../metrics/names.js';
import { describeFault, expectedDrops, isProxyFault, plannedLength } from './faults.js';
import { ptyPlan, type PlanPty } from './plan-pty.js';
import type { Scenario } from './schema.js';
import { agentCountAt, agentSeconds, buildPhases, type PlanPhase } from './timeline.js';

export { agentCountAt, type PlanPhase } from './timeline.js';
export type { PlanPty } from './plan-pty.js';
export { formatPlan } from './plan-format.js';

/** Stats interval assumed against a real target (coderd's CLI default); the target decides. */
const REMOTE_REPORT_INTERVAL_MS = 600_000;

/** Expected volume of one kind of traffic over the whole run. */
export interface PlanVolume {
  /** An ENDPOINT route template, or a coordinator message kind such as `agent node updates`. */
  endpoint: string;
  count: number;
  /** True when the figure depends on random draws, server answers or timing (most do). */
  approximate: boolean;
  note?: string;
}

export interface PlanRest {
  startMs: number;
  endMs: number;
  model: 'closed' | 'open';
  connections: number;
  pipelining: number;
  rate?: number;
  amount?: number;
  /** Total requests expected; absent when unknown (closed model without rate or amount). */
  expectedRequests?: number;
  mix: { endpoint: string; share: number }[];
}

export interface PlanFault {
  atMs: number;
  /** When it ends as planned; equal to `atMs` for an instant fault. */
  endMs: number;
  action: string;
  /** Who applies it: the embedded server, or the fault proxy in front of the target. */
  via: 'server' | 'proxy';
  /** Its parameters in words (scenario/faults.ts `describeFault`). */
  detail: string;
  /** Planned agents at that moment, and the coordinate sockets the fault is expected to drop. */
  agentsAt: number;
  expectedDrops: number;
}

export interface Plan {
  scenario: string;
  description?: string;
  seed: string;
  durationMs: number;
  target: { kind: 'embedded'; reportIntervalMs: number; rateLimit: number } | { kind: 'remote'; url: string };
  phases: PlanPhase[];
  peakAgents: number;
  /** Agents started over the run (a ramp that rises again starts new agents). */
  agentStarts: number;
  /** Area under the agent timeline. */
  agentSeconds: number;
  /** Share of agents per auth mode (weights normalised). */
  auth: Record<string, number>;
  peers?: { perAgent: number; peak: number; updateRate: number; agentUpdateRate?: number };
  /** Expected agent-side traffic (HTTP requests, socket opens, coordinator messages). */
  agentTraffic: PlanVolume[];
  rest?: PlanRest;
  /** Terminal traffic (kind `pty`): sessions, bytes typed, reconnects. */
  pty?: PlanPty;
  faults: PlanFault[];
  thresholds: string[];
}

/** Builds the plan of a validated scenario. Pure. */
export function planScenario(s: Scenario): Plan {
  const phases = buildPhases(s);
  const partial = { phases };
  const peakAgents = phases.reduce((max, p) => Math.max(max, p.from, p.to), 0);
  // Agents present at t=0 (no ramp-up) start too, then every rise starts more.
  const agentStarts = phases.reduce((sum, p) => sum + Math.max(0, p.to - p.from), phases[0]?.from ?? 0);
  const faults: PlanFault[] = s.faults.map((f) => {
    const agentsAt = agentCountAt(partial, f.at);
    return {
      atMs: f.at,
      endMs: f.at + plannedLength(f),
      action: f.action,
      via: isProxyFault(f) ? 'proxy' : 'server',
      detail: describeFault(f),
      agentsAt,
      expectedDrops: expectedDrops(f, agentsAt),
    };
  });
  const plan: Plan = {
    scenario: s.name,
    ...(s.description !== undefined ? { description: s.description } : {}),
    seed: s.seed,
    durationMs: s.duration,
    target: s.server
      ? { kind: 'embedded', reportIntervalMs: s.server.reportInterval, rateLimit: s.server.rateLimit }
      : { kind: 'remote', url: withoutUserInfo(s.target?.url ?? '') },
    phases,
    peakAgents,
    agentStarts,
    agentSeconds: round(agentSeconds(phases), 1),
    auth: shares(s.agents.auth),
    agentTraffic: [],
    faults,
    thresholds: [...s.thresholds],
  };
  if (s.peers) {
    plan.peers = {
      perAgent: s.peers.perAgent,
      peak: peakAgents * s.peers.perAgent,
      updateRate: s.peers.updateRate,
      ...(s.peers.agentUpdateRate !== undefined ? { agentUpdateRate: s.peers.agentUpdateRate } : {}),
    };
  }
  plan.agentTraffic = agentTraffic(s, plan);
  if (s.rest) plan.rest = restPlan(s.rest);
  if (s.pty) plan.pty = ptyPlan(s.pty, phases);
  return plan;
}

function agentTraffic(s: Scenario, plan: Plan): PlanVolume[] {
  const starts = plan.agentStarts;
  const drops = plan.faults.reduce((sum, f) => sum + f.expectedDrops, 0);
  // Every coordinate-socket drop sends the agent around its run loop again (protocol §9).
  const passes = starts + drops;
  const seconds = plan.agentSeconds;
  const a = s.agents;
  const out: PlanVolume[] = [];
  const add = (endpoint: string, count: number, approximate: boolean, note?: string) =>
    out.push({ endpoint, count: Math.round(count), approximate, ...(note ? { note } : {}) });
  const identity: [string, number][] = [
    [ENDPOINT.awsIdentity, plan.auth.aws ?? 0],
    [ENDPOINT.azureIdentity, plan.auth.azure ?? 0],
    [ENDPOINT.googleIdentity, plan.auth.google ?? 0],
  ];
  for (const [endpoint, share] of identity) {
    if (share > 0) add(endpoint, passes * share, true, 'once per run-loop pass; modes are drawn by weight');
  }
  add(ENDPOINT.version, passes, drops > 0);
  add(ENDPOINT.metadata, passes, drops > 0);
  add(ENDPOINT.reportLifecycle, starts * 2, true, '"starting" then the drawn outcome; retries add more');
  const reportMs = s.server?.reportInterval ?? REMOTE_REPORT_INTERVAL_MS;
  add(
    ENDPOINT.reportStats,
    starts + (seconds * 1000) / reportMs,
    true,
    s.server ? `one at start, then every ${reportMs} ms` : `one at start, then every report_interval (the target decides; ${reportMs} ms assumed)`,
  );
  const flapsPerSecond = Math.min(1, (a.apps.flapRate * 1000) / a.apps.checkInterval);
  add(ENDPOINT.appHealth, starts + seconds * flapsPerSecond, true, 'assumes one app with a healthcheck per agent; changes are batched per second');
  if (a.gitauth > 0) add(ENDPOINT.gitauth, starts * a.gitauth, true, `a ${a.gitauth} share of agents, once each`);
  const askpass = a.gitAskpass;
  if (askpass.share > 0) {
    const endpoint = a.protocol === 'v2' ? ENDPOINT.externalAuth : ENDPOINT.gitauth;
    add(
      endpoint,
      (seconds * 1000 * askpass.share) / askpass.every,
      true,
      `git credential helper: a ${askpass.share} share of agents, one lookup each per ${askpass.every} ms, plus listen polls until signed in`,
    );
  }
  add(ENDPOINT.agentCoordinate, passes, drops > 0, 'WebSocket opens');
  const agentRate = s.peers?.agentUpdateRate;
  const agentUpdates = agentRate !== undefined && agentRate > 0 ? seconds * agentRate : (seconds * 1000) / a.nodeUpdateInterval;
  add('agent node updates', agentUpdates, true, 'coordinator messages from agents');
  if (s.peers) {
    add(ENDPOINT.clientCoordinate, starts * s.peers.perAgent, true, 'peer WebSocket opens');
    add('peer node updates', seconds * s.peers.perAgent * s.peers.updateRate, true, 'coordinator messages from peers');
  }
  return out;
}

function restPlan(r: NonNullable<Scenario['rest']>): PlanRest {
  const seconds = r.duration / 1000;
  // Open model: the rate fixes the volume. Closed: unknown (as fast as the target answers)
  // unless a rate cap or an amount bounds it.
  let expected = r.rate !== undefined ? r.rate * seconds : undefined;
  if (r.amount !== undefined) expected = expected === undefined ? r.amount : Math.min(expected, r.amount);
  const mix = Object.entries(shares(r.mix)).map(([endpoint, share]) => ({ endpoint, share }));
  return {
    startMs: r.startAfter,
    endMs: r.startAfter + r.duration,
    model: r.model,
    connections: r.connections,
    pipelining: r.pipelining,
    ...(r.rate !== undefined ? { rate: r.rate } : {}),
    ...(r.amount !== undefined ? { amount: r.amount } : {}),
    ...(expected !== undefined ? { expectedRequests: Math.round(expected) } : {}),
    mix,
  };
}

function shares(weights: Readonly<Record<string, number>>): Record<string, number> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  for (const [key, w] of Object.entries(weights)) if (w > 0) out[key] = round(w / total, 4);
  return out;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
