/**
 * The scenario's `pty` section: terminal traffic through `GET /{id}/pty` (protocol §5.15, §8).
 * Each active agent gets `sessionsPerAgent` reconnecting-PTY sessions; each session types
 * `bytesPerSecond` in `messageSize`-byte writes at jittered, pre-planned times (open model),
 * and every `reconnectEvery` drops its socket and reopens it with the same reconnect id.
 */
import { z } from 'zod';
import type { DeepReadonly } from '../../core/deep-readonly.js';
import { formatDuration as fmt } from '../../scenario/duration.js';
import { duration, int, num, ratio, type ReportIssue } from '../../scenario/fields.js';
import type { RunFacts } from '../kind.js';
import { MIN_MESSAGE_SIZE } from './echo-markers.js';

/** How often the workload re-reads the agent schedule to start and stop sessions (the plan replays it). */
export const PTY_TICK_MS = 250;

/** coderd's 32 KiB copy buffer; a bigger write would be pointless for a terminal. */
const MAX_MESSAGE_SIZE = 32 * 1024;

export const ptySection = z.strictObject({
  /** Sessions per active agent, each with its own reconnect id. */
  sessionsPerAgent: int().min(1).default(1),
  /** Bytes typed per second per session (the `data` of the input messages). */
  bytesPerSecond: z.number().positive().default(4096),
  /** Bytes of `data` per write; holds a `# {marker} ` prefix and an Enter, so at least 16. */
  messageSize: int().min(MIN_MESSAGE_SIZE).max(MAX_MESSAGE_SIZE).default(64),
  /** 0..1, spread of each gap between writes around messageSize / bytesPerSecond. */
  jitter: ratio.default(0.5),
  /** Drop and reopen each session with the same reconnect id this often (absent: never). */
  reconnectEvery: duration.optional(),
  /** The `command` query parameter; empty means the login shell. */
  command: z.string().default(''),
  width: int().min(1).max(65535).default(80),
  height: int().min(1).max(65535).default(24),
  /** How the user token travels: `Coder-Session-Token` header (CLI) or cookie (browser). */
  auth: z.enum(['header', 'cookie']).default('header'),
  startAfter: duration.prefault('0s'),
  /** Defaults to the rest of the run after startAfter. */
  duration: duration.optional(),
});

/** The validated section with `duration` resolved (durations in ms). */
export type PtyConfig = DeepReadonly<z.output<typeof ptySection> & { duration: number }>;

/** Fills `duration`: the rest of the run after `startAfter`. */
export function resolvePty(pty: z.output<typeof ptySection>, run: RunFacts): z.output<typeof ptySection> & { duration: number } {
  return { ...pty, duration: pty.duration ?? run.durationMs - pty.startAfter };
}

/** Cross-field rules of the section (paths relative to it); `durationMs` is the run's. */
export function ptyRules(pty: Readonly<Record<string, unknown>>, durationMs: number | undefined, report: ReportIssue): void {
  const startAfter = num(pty.startAfter) ?? 0;
  const ptyDuration = num(pty.duration);
  const reconnectEvery = num(pty.reconnectEvery);
  if (reconnectEvery !== undefined && reconnectEvery <= 0) report(['reconnectEvery'], 'must be more than 0 (leave it out to never reconnect)');
  if (durationMs === undefined) return;
  if (startAfter >= durationMs) {
    report(['startAfter'], `${fmt(startAfter)} is not before the end of the run (duration ${fmt(durationMs)})`);
  } else if (ptyDuration !== undefined && startAfter + ptyDuration > durationMs) {
    report(['duration'], `startAfter (${fmt(startAfter)}) + duration (${fmt(ptyDuration)}) run past the end of the run (${fmt(durationMs)})`);
  }
}
