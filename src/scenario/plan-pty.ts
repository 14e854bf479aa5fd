/**
 * The PTY part of the plan. Sessions follow the agents the timeline has active inside the PTY
 * window (`sessionsPerAgent` each) and each one types `bytesPerSecond`; the figures come from
 * replaying the workload's own schedule reads (every PTY_TICK_MS from `startAfter`). Pure.
 */
import { PTY_TICK_MS } from '../workloads/pty/section.js';
import type { Scenario } from './schema.js';
import { agentCountAt, type PlanPhase } from './timeline.js';

export interface PlanPty {
  startMs: number;
  endMs: number;
  sessionsPerAgent: number;
  /** Bytes typed per second by one session. */
  bytesPerSecond: number;
  messageSize: number;
  /** How often each session drops and reopens its socket; absent when it never does. */
  reconnectEveryMs?: number;
  /** Sessions open at once at the peak of the window. */
  peakSessions: number;
  /** Sessions opened over the window (an agent that leaves and comes back opens new ones). */
  sessions: number;
  /** Bytes typed per second over all sessions at the peak. */
  peakBytesPerSecond: number;
  /** Bytes typed over the window: session-seconds × bytesPerSecond. The pauses around
   * reconnects make the real figure somewhat lower. */
  expectedBytes: number;
  /** Planned reconnects: each session once per full reconnectEvery it lives (an upper bound:
   * a reconnect waits for the output to go quiet first). */
  expectedReconnects?: number;
}

/** The PTY plan of a scenario with a `pty` section. */
export function ptyPlan(pty: NonNullable<Scenario['pty']>, phases: readonly PlanPhase[]): PlanPty {
  const startMs = pty.startAfter;
  const endMs = pty.startAfter + pty.duration;
  const agents = agentLifetimes(phases, startMs, endMs, pty.reconnectEvery);
  const k = pty.sessionsPerAgent;
  return {
    startMs,
    endMs,
    sessionsPerAgent: k,
    bytesPerSecond: pty.bytesPerSecond,
    messageSize: pty.messageSize,
    ...(pty.reconnectEvery !== undefined ? { reconnectEveryMs: pty.reconnectEvery } : {}),
    peakSessions: agents.peak * k,
    sessions: agents.starts * k,
    peakBytesPerSecond: Math.round(agents.peak * k * pty.bytesPerSecond),
    expectedBytes: Math.round(((agents.activeMs * k) / 1000) * pty.bytesPerSecond),
    ...(pty.reconnectEvery !== undefined ? { expectedReconnects: agents.reconnects * k } : {}),
  };
}

/**
 * Agents as the PTY workload sees them between `fromMs` and `toMs`: it reads the timeline every
 * {@link PTY_TICK_MS}, starting the sessions of agents that joined and stopping those of agents
 * that left (the newest first, as the fleet does), and stops the rest at `toMs`. Returns the peak,
 * the agents started, their summed active time and, with `reconnectEveryMs`, the whole
 * reconnect periods they lived. O(ticks + starts): an hour is 14 400 ticks.
 */
export function agentLifetimes(
  phases: readonly PlanPhase[],
  fromMs: number,
  toMs: number,
  reconnectEveryMs?: number,
): { peak: number; starts: number; activeMs: number; reconnects: number } {
  const plan = { phases };
  const startedAt: number[] = []; // by agent index, for the agents running now
  let peak = 0;
  let starts = 0;
  let activeMs = 0;
  let reconnects = 0;
  const stopTop = (at: number): void => {
    const lived = at - startedAt.pop()!;
    activeMs += lived;
    if (reconnectEveryMs !== undefined && reconnectEveryMs > 0) reconnects += Math.floor(lived / reconnectEveryMs);
  };
  for (let t = fromMs; t < toMs; t += PTY_TICK_MS) {
    const want = Math.max(0, agentCountAt(plan, t));
    while (startedAt.length < want) {
      startedAt.push(t);
      starts++;
    }
    while (startedAt.length > want) stopTop(t);
    peak = Math.max(peak, want);
  }
  while (startedAt.length > 0) stopTop(toMs);
  return { peak, starts, activeMs, reconnects };
}
