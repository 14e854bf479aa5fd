import { FleetsimError } from '../../core/errors.js';
import { ENDPOINT, type EndpointName } from '../../metrics/names.js';

/** The endpoints a REST mix may name (the schema's `rest.mix` keys), as ENDPOINT route templates. */
export const REST_ENDPOINTS = [
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

/**
 * Options of the REST workload: the scenario's `rest` section with durations in ms.
 * - `closed`: `connections` keep-alive connections, each with `pipelining` requests in flight.
 * - `open`: a fixed overall `rate` (req/s) spread over the connections (autocannon `overallRate`);
 *   autocannon lowers `connections` to `rate` when the rate is smaller.
 * The run ends after `durationMs` or after `amount` responses, whichever comes first.
 */
export interface RestLoadOptions {
  /** Endpoint route template → weight (>= 0, sum > 0). */
  mix: Record<string, number>;
  model: 'closed' | 'open';
  connections: number;
  pipelining: number;
  /** Overall requests per second; required when `model` is `open`. */
  rate?: number;
  durationMs: number;
  /** Stop after this many requests in total. */
  amount?: number;
  startAfterMs: number;
  /** Per-request timeout; autocannon counts in whole seconds, so this is rounded up to >= 1 s. */
  timeoutMs?: number;
}

/** A validated mix: endpoints with positive weight, in REST_ENDPOINTS order. */
export interface MixEntry {
  endpoint: RestEndpoint;
  weight: number;
}

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

/** Checks the options and lists every problem at once (FleetsimError 'usage'). */
export function validateRestOptions(options: RestLoadOptions): MixEntry[] {
  const issues: string[] = [];
  const known = new Set<string>(REST_ENDPOINTS);
  const mix: MixEntry[] = [];
  for (const [endpoint, weight] of Object.entries(options.mix ?? {})) {
    if (!known.has(endpoint)) {
      issues.push(`rest.mix: unknown endpoint "${endpoint}" (known: ${REST_ENDPOINTS.join(', ')})`);
    } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      issues.push(`rest.mix["${endpoint}"]: weight must be a finite number >= 0`);
    }
  }
  for (const endpoint of REST_ENDPOINTS) {
    const weight = options.mix?.[endpoint];
    if (typeof weight === 'number' && Number.isFinite(weight) && weight > 0) mix.push({ endpoint, weight });
  }
  if (mix.length === 0) issues.push('rest.mix: at least one endpoint needs a weight > 0');
  if (options.model !== 'closed' && options.model !== 'open') issues.push('rest.model: must be "closed" or "open"');
  if (!isPositiveInt(options.connections)) issues.push('rest.connections: must be an integer >= 1');
  if (!isPositiveInt(options.pipelining)) issues.push('rest.pipelining: must be an integer >= 1');
  if (options.model === 'open' && !(typeof options.rate === 'number' && options.rate >= 1)) {
    issues.push('rest.rate: required (>= 1 req/s) when model is "open"');
  }
  if (options.rate !== undefined && !(typeof options.rate === 'number' && Number.isFinite(options.rate) && options.rate >= 1)) {
    issues.push('rest.rate: must be a number >= 1');
  }
  if (!(typeof options.durationMs === 'number' && options.durationMs >= 0)) issues.push('rest.duration: must be >= 0 ms');
  if (options.amount !== undefined && !isPositiveInt(options.amount)) issues.push('rest.amount: must be an integer >= 1');
  if (!(typeof options.startAfterMs === 'number' && options.startAfterMs >= 0)) issues.push('rest.startAfter: must be >= 0 ms');
  if (options.timeoutMs !== undefined && !(typeof options.timeoutMs === 'number' && options.timeoutMs > 0)) {
    issues.push('rest.timeout: must be > 0 ms');
  }
  if (issues.length > 0) {
    throw new FleetsimError('usage', `invalid REST workload options: ${issues.join('; ')}`, { issues });
  }
  return mix;
}
