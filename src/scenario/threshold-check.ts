/**
 * The one place the scenario schema asks whether a threshold expression parses, so validation
 * does not depend on the threshold grammar's internals: the grammar and its messages belong to
 * src/metrics/thresholds.ts.
 */
import { parseThreshold, type ThresholdMetric } from '../metrics/thresholds.js';

/** Returns undefined when `expression` parses, else the parser's message. */
export function thresholdProblem(expression: string): string | undefined {
  try {
    parseThreshold(expression);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Cross-field check for `recovery(<action>)` thresholds: a scenario that schedules no fault with
 * that action can only fail them, so say so before the run. `faultActions` are the actions of
 * the scenario's faults. Returns the index of each such threshold with a message; expressions
 * that do not parse are left to `thresholdProblem`.
 */
export function recoveryThresholdProblems(expressions: readonly string[], faultActions: readonly string[]): { index: number; message: string }[] {
  const scheduled = new Set(faultActions);
  const problems: { index: number; message: string }[] = [];
  expressions.forEach((expression, index) => {
    let metric: ThresholdMetric;
    try {
      metric = parseThreshold(expression).metric;
    } catch {
      return;
    }
    if (metric.kind !== 'recovery') return;
    if (metric.action === undefined ? scheduled.size > 0 : scheduled.has(metric.action)) return;
    const known = scheduled.size > 0 ? `the scenario's faults are: ${[...scheduled].join(', ')}` : 'the scenario has no faults';
    const what = metric.action === undefined ? 'recovery needs at least one fault' : `recovery(${metric.action}) names no scheduled fault`;
    problems.push({ index, message: `threshold "${expression.trim()}": ${what}; ${known}` });
  });
  return problems;
}
