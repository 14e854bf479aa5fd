/**
 * Field schemas shared by the scenario and the workload sections (src/workloads/<kind>/section.ts),
 * so every section validates durations, integers and weights the same way and reports them with
 * the same messages.
 */
import { z } from 'zod';
import { parseDuration, showValue } from './duration.js';

/** A duration: "30s", "1m30s", "250ms" or a number of ms; outputs ms. */
export const duration = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'required (a duration like "30s")' : `expected a duration like "30s", got ${showValue(issue.input)}`),
  })
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });

// Not z.number().int(): its failure is an aborting issue in zod 4 that would silence the
// cross-field rules, and every problem must be listed in one go.
export const int = () => z.number().refine(Number.isInteger, { error: (i) => `expected an integer, got ${showValue(i.input)}` });
export const ratio = z.number().min(0).max(1);
export const weight = z.number().min(0);
export const count = int().min(0);

/** Reports a cross-field problem at `path` (relative to where the rule looks). */
export type ReportIssue = (path: (string | number)[], message: string) => void;

type Obj = Record<string, unknown>;

/** Helpers for cross-field rules, which read half-parsed values defensively. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Sum of weights when every one is a valid number, else undefined (their own issues report). */
export function weightSum(weights: unknown): number | undefined {
  if (!isObj(weights)) return undefined;
  let sum = 0;
  for (const w of Object.values(weights)) {
    if (w === undefined) continue;
    const n = num(w);
    if (n === undefined || n < 0) return undefined;
    sum += n;
  }
  return sum;
}
