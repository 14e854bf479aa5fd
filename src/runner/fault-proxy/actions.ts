/**
 * Timeline actions of the fault proxy, and the zod fragment the scenario schema composes.
 *
 * What users write (durations as strings, parsed by scenario/duration.ts):
 *   { at: '30s', action: 'latency', ms: 200, jitter: 20, duration: '20s', fraction: 0.5, direction: 'both' }
 * What the proxy applies: the same object with `at` and `duration` in milliseconds and every
 * default filled ({@link ProxyAction}).
 *
 * Directions: `upstream` is client → target (requests, agent frames), `downstream` is target →
 * client (responses, coordinator frames), `both` is the two.
 */
import { z } from 'zod';
import { parseDuration, showValue } from '../../scenario/duration.js';

export const PROXY_DIRECTIONS = ['upstream', 'downstream', 'both'] as const;
export type ProxyDirection = (typeof PROXY_DIRECTIONS)[number];

export const PROXY_ACTION_KINDS = ['latency', 'bandwidth', 'reset', 'blackhole', 'refuse', 'slow-close'] as const;
export type ProxyActionKind = (typeof PROXY_ACTION_KINDS)[number];

/** A duration ("30s", "250ms", or a number of ms); outputs ms. Same rules as the scenario's. */
const duration = z
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

/** A window that must be open for some time: a 0s latency window would do nothing. */
const window = duration.refine((ms) => ms > 0, { error: 'must be longer than 0s' });
const milliseconds = z.number().min(0).refine(Number.isFinite, { error: 'expected a finite number of milliseconds' });
const fraction = z.number().min(0).max(1).default(1);
const direction = z.enum(PROXY_DIRECTIONS).default('both');

/** Fields every per-connection action shares: when, for how long, on which connections, which way. */
const perConnection = { at: duration, duration: window, fraction, direction };

const latency = z.strictObject({
  ...perConnection,
  action: z.literal('latency'),
  /** Added to every chunk in the affected direction(s), so `both` adds it twice per round trip. */
  ms: milliseconds,
  /** Uniform ± spread around `ms`; order within a direction is always kept. */
  jitter: milliseconds.default(0),
});

const bandwidth = z.strictObject({
  ...perConnection,
  action: z.literal('bandwidth'),
  /** Per connection and per direction. */
  bytesPerSecond: z.number().positive().refine(Number.isFinite, { error: 'expected a finite rate' }),
});

const reset = z.strictObject({
  at: duration,
  action: z.literal('reset'),
  /** Share of the connections open at `at` that are reset (and of new ones while `duration` lasts). */
  fraction,
  /** 0s (default): one shot at `at`. Longer: connections opened during the window are reset too. */
  duration: duration.prefault('0s'),
  /** Which peer sees the RST: the client (`downstream`), the target (`upstream`) or both. */
  direction,
});

const blackhole = z.strictObject({ ...perConnection, action: z.literal('blackhole') });

/** Target down: the listening port is closed, so the whole fleet is affected; no fraction. */
const refuse = z.strictObject({ at: duration, action: z.literal('refuse'), duration: window });

const slowClose = z.strictObject({
  ...perConnection,
  action: z.literal('slow-close'),
  /** How long a FIN (end of stream) is held back in the affected direction(s). */
  ms: milliseconds,
});

/**
 * The zod fragment for one proxy action; the scenario schema composes it, e.g.
 * `network: z.array(proxyActionSchema).optional()`.
 */
export const proxyActionSchema = z.discriminatedUnion('action', [latency, bandwidth, reset, blackhole, refuse, slowClose]);

/** What a user writes (durations as "30s" or ms numbers, defaults optional). */
export type ProxyActionInput = z.input<typeof proxyActionSchema>;
/** A validated action: durations in ms, defaults filled. */
export type ProxyAction = z.output<typeof proxyActionSchema>;
export type LatencyAction = Extract<ProxyAction, { action: 'latency' }>;
export type BandwidthAction = Extract<ProxyAction, { action: 'bandwidth' }>;
export type ResetAction = Extract<ProxyAction, { action: 'reset' }>;
export type BlackholeAction = Extract<ProxyAction, { action: 'blackhole' }>;
export type RefuseAction = Extract<ProxyAction, { action: 'refuse' }>;
export type SlowCloseAction = Extract<ProxyAction, { action: 'slow-close' }>;
/** Actions that change the data path of selected connections while they last. */
export type ToxicAction = LatencyAction | BandwidthAction | BlackholeAction | SlowCloseAction;

/** Parses one action (throws zod's error on bad input); handy in tests and programmatic use. */
export function parseProxyAction(input: ProxyActionInput): ProxyAction {
  return proxyActionSchema.parse(input);
}

/** True when the action changes the data path (rather than killing connections or the port). */
export function isToxicAction(action: ProxyAction): action is ToxicAction {
  return action.action !== 'reset' && action.action !== 'refuse';
}

/** True when an action with this direction affects the given lane. */
export function coversDirection(direction: ProxyDirection, lane: 'upstream' | 'downstream'): boolean {
  return direction === 'both' || direction === lane;
}
