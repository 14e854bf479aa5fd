import { Pool } from 'undici';
import type { Clock } from '../core/clock.js';
import { httpStatusClass, networkErrorClass, type ErrorClass } from '../metrics/error-class.js';
import { METRIC, type EndpointName } from '../metrics/names.js';
import type { MetricSink } from '../metrics/sink.js';

/**
 * The HTTP layer shared by every fake agent and user client of one run: ONE keep-alive undici
 * Pool per target with a bounded number of connections (a real fleet has one connection per
 * agent, but a load harness that opened 20,000 REST connections would measure its own kernel,
 * not the target). Requests never throw: every outcome is a {@link ApiResult}.
 */
export interface HttpTransportOptions {
  /** Target base URL, e.g. `http://127.0.0.1:7080` (no /api/v2). */
  baseUrl: string;
  /** Upper bound on open connections to the target (default 256). */
  connections?: number;
  /** Source address for the pool's sockets (e.g. `127.0.0.2`). */
  localAddress?: string;
  /** Idle keep-alive time of a pooled connection (default 30 s). */
  keepAliveTimeoutMs?: number;
  /** TCP connect limit (default 10 s). */
  connectTimeoutMs?: number;
}

export interface HttpTransport {
  readonly baseUrl: string;
  readonly pool: Pool;
  close(): Promise<void>;
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = new URL(options.baseUrl);
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 256,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    pool,
    close: async () => {
      await pool.close().catch(() => pool.destroy());
    },
  };
}

/** The outcome of one request. `errorClass` is set exactly when `ok` is false. */
export interface ApiResult<T = unknown> {
  ok: boolean;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  /** Parsed JSON body (undefined for an empty body or a failure before the body). */
  body?: T;
  headers: Record<string, string | string[] | undefined>;
  /** See src/metrics/error-class.ts; `aborted` = cancelled by the run's own shutdown (not recorded). */
  errorClass?: ErrorClass;
  /** From the intended start to the end of the body. */
  durationMs: number;
}

export interface SendOptions {
  method: 'GET' | 'POST';
  /** Path with query, starting with `/`. */
  path: string;
  endpoint: EndpointName;
  headers?: Record<string, string>;
  /** JSON-serialisable body. */
  json?: unknown;
  /** Statuses that count as success (default [200]). */
  expect?: readonly number[];
  timeoutMs: number;
  /** Cancels the request without recording a sample (run shutdown). */
  signal?: AbortSignal;
  /** `clock.now()` at which this request was due (periodic traffic: coordinated omission). */
  intendedAt?: number;
}

export interface RequestContext {
  transport: HttpTransport;
  metrics: MetricSink;
  clock: Clock;
}

const ABORTED: ApiResult = Object.freeze({ ok: false, status: 0, headers: {}, errorClass: 'aborted', durationMs: 0 });

/** Sends one request and records `METRIC.request` (and `METRIC.error` on failure). Never throws. */
export async function send<T>(ctx: RequestContext, options: SendOptions): Promise<ApiResult<T>> {
  const { clock, metrics } = ctx;
  const start = options.intendedAt ?? clock.now();
  if (options.signal?.aborted) return ABORTED as ApiResult<T>;
  // The timeout covers the exchange with the server only (undici starts it once the request is
  // written): time queued for a pooled connection is harness time, not target time. Latency
  // below still counts the queue, from the intended start.
  const abortable = options.signal ? { signal: options.signal } : {};
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let payload: string | undefined;
  if (options.json !== undefined) {
    payload = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  let result: ApiResult<T>;
  try {
    const response = await ctx.transport.pool.request({
      method: options.method,
      path: '/api/v2/workspaceagents' + options.path,
      headers,
      body: payload,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...abortable,
    });
    const text = await response.body.text();
    const expect = options.expect ?? [200];
    const ok = expect.includes(response.statusCode);
    result = { ok, status: response.statusCode, headers: response.headers, durationMs: clock.now() - start };
    if (text.length > 0) {
      try {
        result.body = JSON.parse(text) as T;
      } catch {
        if (ok) {
          result.ok = false;
          result.errorClass = 'protocol';
        }
      }
    }
    if (!ok) result.errorClass = httpStatusClass(response.statusCode);
    recordRateLimit(metrics, options.endpoint, response.headers);
  } catch (error) {
    if (options.signal?.aborted) {
      result = ABORTED as ApiResult<T>;
    } else {
      result = { ok: false, status: 0, headers: {}, errorClass: networkErrorClass(error), durationMs: clock.now() - start };
    }
  }
  if (result.errorClass !== 'aborted') {
    metrics.trend(METRIC.request, result.durationMs, { endpoint: options.endpoint });
    if (!result.ok) metrics.count(METRIC.error, 1, { endpoint: options.endpoint, class: result.errorClass ?? 'other' });
  }
  return result;
}

function recordRateLimit(metrics: MetricSink, endpoint: string, headers: Record<string, string | string[] | undefined>): void {
  const limit = headers['x-ratelimit-limit'];
  const remaining = headers['x-ratelimit-remaining'];
  if (typeof limit === 'string') metrics.gauge(METRIC.rateLimitLimit, Number(limit), { endpoint });
  if (typeof remaining === 'string') metrics.gauge(METRIC.rateLimitRemaining, Number(remaining), { endpoint });
}
