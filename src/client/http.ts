import type { Clock } from '../core/clock.js';
import { httpStatusClass, networkErrorClass, type ErrorClass } from '../metrics/error-class.js';
import { METRIC, type EndpointName, type PollEndpointName } from '../metrics/names.js';
import type { MetricSink } from '../metrics/sink.js';
import { recordRequestTiming } from '../metrics/request-timing.js';
import type { StopSignal } from './stop-signal.js';

/** The transports (shared pool, one connection per agent) live in http-transport.ts. */
export { createHttpTransport, createSingleConnectionTransport, type HttpTransport, type HttpTransportOptions } from './http-transport.js';
import type { HttpTransport } from './http-transport.js';

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
  endpoint: EndpointName | PollEndpointName;
  /** The trend the latency goes to (default METRIC.request). */
  trend?: string;
  headers?: Record<string, string>;
  /** JSON-serialisable body. */
  json?: unknown;
  /** Statuses that count as success (default [200]). */
  expect?: readonly number[];
  /** Headers and body timeout; 0 = none (long polls). */
  timeoutMs: number;
  /** Cancels the request without recording a sample (run shutdown). */
  signal?: StopSignal;
  /** `clock.now()` at which this request was due (periodic traffic: coordinated omission). */
  intendedAt?: number;
}

export interface RequestContext {
  transport: HttpTransport;
  metrics: MetricSink;
  clock: Clock;
}

const ABORTED: ApiResult = Object.freeze({ ok: false, status: 0, headers: {}, errorClass: 'aborted', durationMs: 0 });
const DEFAULT_EXPECT: readonly number[] = [200];

/** Sends one request and records `METRIC.request` (and `METRIC.error` on failure). Never throws. */
export function send<T>(ctx: RequestContext, options: SendOptions): Promise<ApiResult<T>> {
  if (options.signal?.aborted) return Promise.resolve(ABORTED as ApiResult<T>);
  return new Promise<ApiResult<T>>((resolve) => new Exchange<T>(ctx, options, resolve).dispatch());
}

/**
 * One request through `pool.dispatch` with a handler of our own: undici's `request()` wraps
 * every response in a Readable body stream, an abort-listener closure and a parsed header
 * object, which costs a fleet ramping thousands of agents per second measurable CPU and
 * garbage. The body is collected as Buffers and parsed once.
 */
class Exchange<T> {
  private readonly startedAt: number;
  /** When undici handed the request to a connection's socket (see onConnect); -1 until then. */
  private handedAt = -1;
  private abortRequest: ((reason?: Error) => void) | undefined;
  private status = 0;
  private rawHeaders: Buffer[] | undefined;
  private chunks: Buffer[] | undefined;
  private settled = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly options: SendOptions,
    private readonly resolve: (result: ApiResult<T>) => void,
  ) {
    // Latency counts from the intended send time, but never from later than the actual start:
    // a timer that fired a fraction early would otherwise record less than the round trip.
    const now = ctx.clock.now();
    const intended = options.intendedAt;
    this.startedAt = intended !== undefined && intended < now ? intended : now;
  }

  dispatch(): void {
    const options = this.options;
    // The timeout covers the exchange with the server only (undici starts it once the request
    // is written): time queued for a pooled connection is harness time, not target time.
    // Latency below still counts the queue, from the intended start.
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.headers) for (const name in options.headers) headers[name] = options.headers[name]!;
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    options.signal?.addEventListener('abort', this, { once: true });
    this.ctx.transport.dispatcher.dispatch(
      {
        method: options.method,
        path: '/api/v2/workspaceagents' + options.path,
        headers,
        body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      },
      this,
    );
  }

  /** The signal aborted (run shutdown). */
  handleEvent(): void {
    const error = new Error('aborted');
    error.name = 'AbortError';
    if (this.abortRequest) this.abortRequest(error);
    else this.fail(error);
  }

  // undici's dispatch handler (the callback interface its core calls).
  onConnect(abort: (reason?: Error) => void): void {
    // undici calls this from its writer, synchronously just before the request's bytes go to
    // the socket: the end of the time queued inside fleetsim (free: no diagnostics channel).
    this.handedAt = this.ctx.clock.now();
    this.abortRequest = abort;
    // Cancelled while queued for a pooled connection: never send it.
    if (this.settled) abort(new Error('aborted'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    (this.chunks ??= []).push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.options.signal?.removeEventListener('abort', this);
    const { status, options } = this;
    const headers = parseRawHeaders(this.rawHeaders);
    const ok = (options.expect ?? DEFAULT_EXPECT).includes(status);
    const result: ApiResult<T> = { ok, status, headers, durationMs: this.ctx.clock.now() - this.startedAt };
    const chunks = this.chunks;
    if (chunks) {
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      try {
        result.body = JSON.parse(text) as T;
      } catch {
        if (ok) {
          result.ok = false;
          result.errorClass = 'protocol';
        }
      }
    }
    if (!ok) result.errorClass = httpStatusClass(status);
    recordRateLimit(this.ctx.metrics, options.endpoint, headers);
    this.finish(result);
  }

  onError(error: Error): void {
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.options.signal?.removeEventListener('abort', this);
    if (this.options.signal?.aborted) return this.resolve(ABORTED as ApiResult<T>);
    this.finish({ ok: false, status: 0, headers: {}, errorClass: networkErrorClass(error), durationMs: this.ctx.clock.now() - this.startedAt });
  }

  private finish(result: ApiResult<T>): void {
    const { metrics } = this.ctx;
    const endpoint = this.options.endpoint;
    const tags = { endpoint };
    const trend = this.options.trend ?? METRIC.request;
    metrics.trend(trend, result.durationMs, tags);
    // The split describes requests only: a long poll's wait (its own trend) is not service time.
    if (this.handedAt >= 0 && trend === METRIC.request) {
      const queued = this.handedAt - this.startedAt;
      recordRequestTiming(metrics, tags, queued, result.durationMs - queued);
    }
    if (!result.ok) metrics.count(METRIC.error, 1, { endpoint, class: result.errorClass ?? 'other' });
    this.resolve(result);
  }
}

/** Raw header pairs to an object with lower-case names (repeated names become arrays). */
function parseRawHeaders(raw: Buffer[] | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('utf8');
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = [previous, value];
  }
  return out;
}

function recordRateLimit(metrics: MetricSink, endpoint: string, headers: Record<string, string | string[] | undefined>): void {
  const limit = headers['x-ratelimit-limit'];
  const remaining = headers['x-ratelimit-remaining'];
  if (typeof limit === 'string') metrics.gauge(METRIC.rateLimitLimit, Number(limit), { endpoint });
  if (typeof remaining === 'string') metrics.gauge(METRIC.rateLimitRemaining, Number(remaining), { endpoint });
}
