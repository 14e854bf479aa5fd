/**
 * The capacity search, pure: which agent count to try next, given the verdicts so far. The
 * runner (run-capacity.ts) supplies `runStep`, which runs one step and says pass, fail, invalid
 * (the harness saturated) or stopped; tests supply a table.
 *
 * 1. Step up from `from` by `factor` (at least +1 agent each time, capped at `to`) while every
 *    SLO holds.
 * 2. The first failing count is run once more (`confirm`): a second failure confirms it; a pass
 *    there means the first failure was noise, the count counts as passing and stepping goes on.
 * 3. Bisect between the highest passing and the lowest failing count until they are within the
 *    resolution (`5%` of the passing count, or a whole number of agents; never below 1). Bisection
 *    steps are not confirmed: each one only moves a bound inside an already confirmed bracket.
 *
 * Stops at once on `invalid` (a saturated harness measures itself: no verdict about the target)
 * and on `stopped` (a signal, or a step that errored). The number of steps is bounded by
 * 2 × log_factor(to / from) + log2(to) + 2.
 */
import type { CapacityResult, CapacityStepKind } from './types.js';

export type StepVerdict = 'pass' | 'fail' | 'invalid' | 'interrupted' | 'errored';

/** `relative`: a fraction of the passing count (0.05 for "5%"); `absolute`: agents. */
export type Resolution = { kind: 'relative'; value: number } | { kind: 'absolute'; value: number };

export interface SearchOptions {
  from: number;
  to: number;
  factor: number;
  resolution: Resolution;
}

export interface SearchOutcome {
  result: CapacityResult;
  knee: number | null;
  firstFailing: number | null;
  /** Steps run, in order. */
  steps: { agents: number; kind: CapacityStepKind; verdict: StepVerdict }[];
}

/** Hard stop for a search that somehow does not converge (a bug, not a user limit). */
export const MAX_STEPS = 200;

/** The next count when stepping up: × factor, at least +1, at most `to`. */
export function nextCount(n: number, factor: number, to: number): number {
  return Math.min(to, Math.max(n + 1, Math.ceil(n * factor)));
}

/** How far apart the bounds may be when the search stops. */
export function tolerance(resolution: Resolution, passing: number): number {
  return resolution.kind === 'absolute' ? Math.max(1, Math.floor(resolution.value)) : Math.max(1, Math.floor(passing * resolution.value));
}

export async function searchCapacity(
  options: SearchOptions,
  runStep: (agents: number, kind: CapacityStepKind) => Promise<StepVerdict>,
): Promise<SearchOutcome> {
  const { from, to, factor, resolution } = options;
  const steps: SearchOutcome['steps'] = [];
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  const done = (result: CapacityResult): SearchOutcome => ({ result, knee: lastPass, firstFailing: firstFail, steps });
  const run = async (agents: number, kind: CapacityStepKind): Promise<StepVerdict> => {
    if (steps.length >= MAX_STEPS) return 'errored';
    const verdict = await runStep(agents, kind);
    steps.push({ agents, kind, verdict });
    return verdict;
  };
  const stopped = (v: StepVerdict): CapacityResult | undefined =>
    v === 'invalid' ? 'saturated' : v === 'interrupted' ? 'interrupted' : v === 'errored' ? 'errored' : undefined;

  // 1–2: step up, confirming the first failure.
  let n = from;
  for (;;) {
    let verdict = await run(n, 'step');
    let stop = stopped(verdict);
    if (stop) return done(stop);
    if (verdict === 'fail') {
      verdict = await run(n, 'confirm');
      stop = stopped(verdict);
      if (stop) return done(stop);
    }
    if (verdict === 'fail') {
      firstFail = n;
      break;
    }
    lastPass = n;
    if (n >= to) return done('to-passed');
    n = nextCount(n, factor, to);
  }
  if (lastPass === null) return done('from-failed');

  // 3: bisect.
  while (firstFail - lastPass > tolerance(resolution, lastPass)) {
    const mid = Math.floor((lastPass + firstFail) / 2);
    const verdict = await run(mid, 'bisect');
    const stop = stopped(verdict);
    if (stop) return done(stop);
    if (verdict === 'pass') lastPass = mid;
    else firstFail = mid;
  }
  return done('knee');
}
