/**
 * The scenario's `rest` section: autocannon-driven load on the agent API.
 * - `closed`: `connections` keep-alive connections, each with `pipelining` requests in flight.
 * - `open`: a fixed overall `rate` (req/s) spread over the connections (autocannon `overallRate`);
 *   autocannon lowers `connections` to `rate` when the rate is smaller.
 * The run ends after `duration` or after `amount` responses, whichever comes first.
 */
import { z } from 'zod';
import type { DeepReadonly } from '../../core/deep-readonly.js';
import { ENDPOINT, type EndpointName } from '../../metrics/names.js';
import { formatDuration as fmt } from '../../scenario/duration.js';
import { duration, int, isObj, num, weight, weightSum, type ReportIssue } from '../../scenario/fields.js';
import { didYouMean } from '../../scenario/suggest.js';
import type { RunFacts } from '../kind.js';

/** The endpoints a `rest.mix` may name (route templates relative to /api/v2/workspaceagents). */
const REST_ENDPOINTS = [
  ENDPOINT.agent,
  ENDPOINT.connection,
  ENDPOINT.listeningPorts,
  ENDPOINT.metadata,
  ENDPOINT.gitsshkey,
  ENDPOINT.reportStats,
  ENDPOINT.appHealth,
  ENDPOINT.version,
  ENDPOINT.reportLifecycle,
] as const satisfies readonly EndpointName[];

export type RestEndpoint = (typeof REST_ENDPOINTS)[number];

export const restSection = z.strictObject({
  /** Endpoint route template → weight (>= 0, sum > 0); the keys are checked by `restRules`. */
  mix: z.record(z.string(), weight),
  model: z.enum(['closed', 'open']).default('closed'),
  connections: int().min(1).default(10),
  pipelining: int().min(1).default(1),
  /** Overall requests per second; required when `model` is `open`. */
  rate: z.number().positive().optional(),
  /** Defaults to the rest of the run after startAfter. */
  duration: duration.optional(),
  /** Stop after this many requests in total. */
  amount: int().min(1).optional(),
  startAfter: duration.prefault('0s'),
});

/** The validated section with `duration` resolved (durations in ms). */
export type RestConfig = DeepReadonly<z.output<typeof restSection> & { duration: number }>;

/** Fills `duration`: the rest of the run after `startAfter`. */
export function resolveRest(rest: z.output<typeof restSection>, run: RunFacts): z.output<typeof restSection> & { duration: number } {
  return { ...rest, duration: rest.duration ?? run.durationMs - rest.startAfter };
}

/** Cross-field rules of the section (paths relative to it); `durationMs` is the run's. */
export function restRules(rest: Readonly<Record<string, unknown>>, durationMs: number | undefined, report: ReportIssue): void {
  if (rest.model === 'open' && rest.rate === undefined) report(['rate'], 'required when rest.model is "open" (overall requests per second)');
  if (isObj(rest.mix)) {
    const keys = Object.keys(rest.mix);
    if (keys.length === 0) report(['mix'], 'name at least one endpoint, e.g. { "GET /me/metadata": 1 }');
    for (const key of keys) {
      if ((REST_ENDPOINTS as readonly string[]).includes(key)) continue;
      const normalized = key.replace(/\/api\/v2\/workspaceagents/, '');
      const hint = didYouMean(normalized, REST_ENDPOINTS) || `; expected one of ${REST_ENDPOINTS.map((e) => JSON.stringify(e)).join(', ')}`;
      report(['mix', key], `unknown endpoint${hint}`);
    }
    if (keys.length > 0 && weightSum(rest.mix) === 0) report(['mix'], 'the weights must sum to more than 0');
  }
  const startAfter = num(rest.startAfter) ?? 0;
  const restDuration = num(rest.duration);
  if (durationMs === undefined) return;
  if (startAfter >= durationMs) {
    report(['startAfter'], `${fmt(startAfter)} is not before the end of the run (duration ${fmt(durationMs)})`);
  } else if (restDuration !== undefined && startAfter + restDuration > durationMs) {
    report(['duration'], `startAfter (${fmt(startAfter)}) + duration (${fmt(restDuration)}) run past the end of the run (${fmt(durationMs)})`);
  }
}

/** One endpoint of a validated mix with a positive weight. */
export interface MixEntry {
  endpoint: RestEndpoint;
  weight: number;
}

/** The mix's endpoints with a positive weight, in REST_ENDPOINTS order. */
export function mixEntries(mix: Readonly<Record<string, number>>): MixEntry[] {
  return REST_ENDPOINTS.filter((endpoint) => (mix[endpoint] ?? 0) > 0).map((endpoint) => ({ endpoint, weight: mix[endpoint]! }));
}
