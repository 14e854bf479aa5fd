/**
 * The agent timeline: piecewise-linear phases and the pure count-at-time function the runner
 * uses to start and stop agents.
 */

/** One stretch of the timeline: the agent count moves linearly from `from` to `to`. */
export interface PlanPhase {
  name: string;
  startMs: number;
  endMs: number;
  from: number;
  to: number;
  /** True for phases fleetsim added (the implicit ramp-up/hold/ramp-down, or a final hold). */
  implicit: boolean;
}

interface PhaseSource {
  readonly duration: number;
  readonly agents: {
    readonly count: number;
    readonly rampUp: number;
    readonly rampDown: number;
    readonly phases?: readonly { readonly name?: string; readonly duration: number; readonly to: number }[];
  };
}

/**
 * Builds the phases. With `agents.phases`: each ramps from the previous `to` (starting at 0),
 * and if they end before `duration` a final implicit hold keeps the last count. Without:
 * ramp-up 0 → count over rampUp, hold, ramp-down to 0 over the last rampDown.
 * Zero-length phases are dropped (they would only be a step).
 */
export function buildPhases(s: PhaseSource): PlanPhase[] {
  const phases: PlanPhase[] = [];
  let at = 0;
  let current = 0;
  const push = (name: string, durationMs: number, to: number, implicit: boolean) => {
    if (durationMs <= 0) {
      current = to;
      return;
    }
    phases.push({ name, startMs: at, endMs: at + durationMs, from: current, to, implicit });
    at += durationMs;
    current = to;
  };
  if (s.agents.phases) {
    s.agents.phases.forEach((p, i) => {
      push(p.name ?? `phase ${i + 1}`, p.duration, p.to, false);
    });
    push('hold', s.duration - at, current, true);
  } else {
    const { count, rampUp, rampDown } = s.agents;
    push('ramp-up', rampUp, count, true);
    push('hold', s.duration - rampUp - rampDown, count, true);
    push('ramp-down', rampDown, 0, true);
  }
  return phases;
}

/**
 * Agents that should be running `ms` after the start. Inside a ramp the count moves in whole
 * agents toward the target: a rising ramp of N agents over D starts agent k at k/N·D (so the
 * last starts exactly at the end), a falling ramp stops them the same way. Times before the
 * start give the first phase's starting count; times at or after the end give the last count.
 */
export function agentCountAt(plan: { readonly phases: readonly PlanPhase[] }, ms: number): number {
  const phases = plan.phases;
  if (phases.length === 0) return 0;
  if (ms < phases[0]!.startMs) return phases[0]!.from;
  for (const p of phases) {
    if (ms >= p.endMs) continue;
    const delta = p.to - p.from;
    const moved = (delta * (ms - p.startMs)) / (p.endMs - p.startMs);
    return p.from + (delta >= 0 ? Math.floor(moved) : Math.ceil(moved));
  }
  return phases[phases.length - 1]!.to;
}

/** Area under the (continuous) timeline, in agent-seconds. */
export function agentSeconds(phases: readonly PlanPhase[]): number {
  return phases.reduce((sum, p) => sum + ((p.from + p.to) / 2) * ((p.endMs - p.startMs) / 1000), 0);
}
