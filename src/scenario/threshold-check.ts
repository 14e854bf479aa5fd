/**
 * The one place the scenario schema asks whether a threshold expression parses. Kept behind this
 * adapter so validation does not depend on the threshold grammar's internals: the grammar and
 * its messages belong to src/metrics/thresholds.ts.
 */

// Interim check until src/metrics/thresholds.ts (parseThreshold) lands: `<metric> <op> <value>`.
const SHAPE = /^\s*\S.*?\s*(<=|>=|==|!=|<|>)\s*\S+\s*$/;

/** Returns undefined when `expression` parses, else the parser's message. */
export function thresholdProblem(expression: string): string | undefined {
  if (SHAPE.test(expression)) return undefined;
  return `expected a threshold like "p99(POST /me/report-stats) < 500ms", got ${JSON.stringify(expression)}`;
}
