/**
 * The one place the scenario schema asks whether a threshold expression parses, so validation
 * does not depend on the threshold grammar's internals: the grammar and its messages belong to
 * src/metrics/thresholds.ts.
 */
import { parseThreshold } from '../metrics/thresholds.js';

/** Returns undefined when `expression` parses, else the parser's message. */
export function thresholdProblem(expression: string): string | undefined {
  try {
    parseThreshold(expression);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
