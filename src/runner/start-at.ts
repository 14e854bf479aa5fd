/**
 * `--start-at`: the wall-clock instant at which every shard starts its timeline, so the shards'
 * ramps line up (each shard starts its target first, then waits for the instant).
 */
import type { Clock } from '../core/clock.js';
import { FleetsimError } from '../core/errors.js';

/** The latest accepted `--start-at`, from now. */
export const START_AT_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time with its offset (e.g. `2030-01-02T15:04:05Z`,
 * `2030-01-02T17:04:05.5+02:00`) into epoch ms. A time in the past or more than 24 h ahead of
 * `nowMs` is a usage error: both are almost always a mistake (a stale manifest, a wrong zone).
 */
export function parseStartAt(text: string, nowMs: number): number {
  const trimmed = text.trim();
  const ms = RFC3339.test(trimmed) ? Date.parse(trimmed.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new FleetsimError('usage', `--start-at must be an RFC 3339 time with a zone, got ${JSON.stringify(text)}`, {
      hint: `e.g. --start-at ${new Date(Math.ceil((nowMs + 60_000) / 1000) * 1000).toISOString()} (date -u -d '+1 min' +%FT%TZ)`,
    });
  }
  if (ms < nowMs) {
    throw new FleetsimError('usage', `--start-at ${trimmed} is in the past (now is ${new Date(nowMs).toISOString()})`, {
      hint: 'give every shard the same instant a little in the future, late enough for all of them to be up',
    });
  }
  if (ms - nowMs > START_AT_MAX_AHEAD_MS) {
    throw new FleetsimError('usage', `--start-at ${trimmed} is more than 24 h ahead (now is ${new Date(nowMs).toISOString()})`);
  }
  return ms;
}

/**
 * Waits until `startAtMs` (epoch ms, by `clock.wallNow()`) or the abort. Returns how late the
 * wait ended (0 when on time; more when the instant had already passed, e.g. a slow target).
 */
export async function waitUntil(clock: Clock, startAtMs: number, signal?: AbortSignal): Promise<number> {
  const wait = startAtMs - clock.wallNow();
  if (wait > 0) await clock.sleep(wait, signal);
  return Math.max(0, Math.round(clock.wallNow() - startAtMs));
}
