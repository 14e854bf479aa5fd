/**
 * The `reconnect` field of the sections whose clients redial (`agents.reconnect`,
 * `peers.reconnect`): the backoff of src/core/backoff.ts as a scenario writes it. Defaults are
 * the real clients' (docs/protocol.md §7.5): no jitter, like coder/retry as the Go agent and SDK
 * use it, so a default fleet reproduces the lock-step reconnect waves of a real one.
 */
import { z } from 'zod';
import { formatDuration as fmt } from '../scenario/duration.js';
import { duration, isObj, num, type ReportIssue } from '../scenario/fields.js';

/** The field's schema with its defaults (durations as strings, like the rest of the schema). */
export function reconnectField(defaults: { initial: string; max: string }) {
  return z
    .strictObject({
      /** First delay after a drop or a failed attempt; doubles per failed attempt. */
      initial: duration.prefault(defaults.initial),
      /** Cap of the doubling. */
      max: duration.prefault(defaults.max),
      /** `none`: exact doubling delays (the real clients); `full`: uniform in [0, delay]. */
      jitter: z.enum(['none', 'full']).default('none'),
    })
    .prefault({});
}

/** Rules of a (half-parsed) `reconnect` value; paths relative to the section holding it. */
export function reconnectRules(value: unknown, report: ReportIssue): void {
  if (!isObj(value)) return;
  const initial = num(value.initial);
  const max = num(value.max);
  // 0 would never grow (0 × 2) and turn every drop into a busy loop against the target.
  if (initial === 0) report(['reconnect', 'initial'], 'must be longer than 0s, e.g. "100ms"');
  if (initial !== undefined && max !== undefined && max < initial) {
    report(['reconnect', 'max'], `${fmt(max)} is below initial (${fmt(initial)}); raise it or lower initial`);
  }
}
