/**
 * The `capacity` section of a capacity search's summary.json (`fleetsim capacity`): the knee
 * (highest agent count that met every SLO), every step with its figures and verdicts, and why
 * the search stopped. Plain JSON; added to RunSummary as an optional field, so readers of
 * schema version 1 that do not know it ignore it.
 */
import type { ThresholdResult } from '../metrics/summary-types.js';

/**
 * How the search ended:
 * - `knee`: a passing and a (confirmed) failing count were narrowed to the resolution;
 * - `to-passed`: even `--to` met the SLOs (the knee is at least `--to`);
 * - `from-failed`: even `--from` broke an SLO, twice;
 * - `saturated`: a step's harness self-check said `saturated`, so its figures describe fleetsim,
 *   not the target; the search stopped there (`knee` is then only a lower bound);
 * - `interrupted` / `errored`: a signal, or a step that failed as a run.
 */
export type CapacityResult = 'knee' | 'to-passed' | 'from-failed' | 'saturated' | 'interrupted' | 'errored';

/** `step`: stepping up by the factor; `confirm`: the first failing count again; `bisect`: between the bounds. */
export type CapacityStepKind = 'step' | 'confirm' | 'bisect';

/** A step's verdict: `invalid` is the harness saturating (not a target failure). */
export type CapacityVerdict = 'pass' | 'fail' | 'invalid' | 'interrupted' | 'errored';

export interface CapacityStep {
  /** 1-based, in the order run. */
  index: number;
  kind: CapacityStepKind;
  agents: number;
  verdict: CapacityVerdict;
  /** Every SLO evaluated on this step's hold window only. */
  slos: ThresholdResult[];
  /** The SLOs that failed (their expressions), in SLO order. */
  broken: string[];
  /** Requests per second, error rate and agents connected at the end, over the hold window. */
  requestsPerSecond: number;
  errorRate: number;
  connected: number;
  /** The step's harness self-check over the whole step. */
  harness: { verdict: 'ok' | 'saturated'; saturatedSeconds: number; seconds: number; cpuMaxPercent: number; eventLoopP99Ms: number };
  /** The step's own full report (whole step, ramp included), relative to this report's folder. */
  report: string;
  startedAt: string;
}

export interface CapacitySummary {
  /** The SLOs, threshold grammar (src/metrics/thresholds.ts). */
  slos: string[];
  search: {
    from: number;
    to: number;
    factor: number;
    /** As given: "5%" (of the knee) or a whole number of agents. */
    resolution: string;
    rampMs: number;
    settleMs: number;
    holdMs: number;
    /** The embedded server is started once and reused by every step; a real target is what it is. */
    target: 'embedded, reused across steps' | 'external';
  };
  result: CapacityResult;
  /** Highest count that met every SLO (for `saturated`/`interrupted`: the highest so far, a lower bound); null when none did. */
  knee: number | null;
  /** Lowest count that broke an SLO (confirmed when it was the first failure); null when none did. */
  firstFailing: number | null;
  /** The knee in one sentence, for humans. */
  message: string;
  /** The embedded server's cost model and its saturation rate, when the scenario set one. */
  costModel?: { serviceTimeMs: number; workers: number; saturationRequestsPerSecond: number; endpoints?: string[] };
  /** Index of the step whose hold window the rest of this summary shows (null: none ran). */
  detailStep: number | null;
  steps: CapacityStep[];
}
