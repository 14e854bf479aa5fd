/**
 * How a run ended → its outcome and exit code, decided in one place so summary.json, the
 * reporters and the process exit code can never disagree.
 *
 * Precedence (first match wins; README "Exit codes" has the same table):
 *
 * | condition                                   | outcome       | exit          |
 * |---------------------------------------------|---------------|---------------|
 * | a workload or the runner failed (a bug)     | `errored`     | 1             |
 * | stopped by SIGINT / SIGTERM / SIGHUP        | `interrupted` | 130 / 143 / 129 |
 * | the harness was saturated (no --allow-saturated) | `invalid` | 11            |
 * | a threshold failed                          | `failed`      | 10            |
 * | otherwise                                   | `passed`      | 0             |
 *
 * A failure outranks an interruption: a run that crashed while the user pressed Ctrl-C must
 * not look like a clean interruption to CI, and the summary already says `errored`. Thresholds
 * are not judged on an interrupted run (its figures cover only part of the plan). A saturated
 * harness outranks the thresholds either way: a pass measured by a saturated harness proves
 * nothing, and a failure may be fleetsim's own queueing (src/observe/saturation.ts). Harness and
 * configuration failures (exit 2/3/4) never reach this function: they are thrown before or
 * instead of a summary.
 */
import { EXIT, SIGNAL_EXIT, type StopSignal } from '../core/errors.js';
import type { Outcome } from '../metrics/summary-types.js';

/** How a run stopped, before thresholds are applied. */
export type StopReason = 'completed' | StopSignal;

export interface RunEnd {
  stopReason: StopReason;
  /** A workload threw, or the runner itself failed, during the run. */
  errored: boolean;
  thresholdsFailed: boolean;
  /** The harness self-check's verdict was `saturated` and `--allow-saturated` was not given. */
  saturated?: boolean;
}

export function runOutcome(end: RunEnd): { outcome: Outcome; exitCode: number } {
  if (end.errored) return { outcome: 'errored', exitCode: EXIT.bug };
  if (end.stopReason !== 'completed') return { outcome: 'interrupted', exitCode: SIGNAL_EXIT[end.stopReason] };
  if (end.saturated) return { outcome: 'invalid', exitCode: EXIT.invalid };
  if (end.thresholdsFailed) return { outcome: 'failed', exitCode: EXIT.thresholds };
  return { outcome: 'passed', exitCode: EXIT.passed };
}

/** The stop reason an external abort carries (`controller.abort('SIGTERM')`); anything else is SIGINT. */
export function stopReasonOf(reason: unknown): StopSignal {
  return reason === 'SIGTERM' || reason === 'SIGHUP' ? reason : 'SIGINT';
}
