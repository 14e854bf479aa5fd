import { httpStatusClass, networkErrorClass, type ErrorClass } from '../../metrics/error-class.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink, Tags } from '../../metrics/sink.js';
import { FleetsimError } from '../../core/errors.js';
import type { RestEndpoint } from './section.js';
import type { WireRequest } from './request-plan.js';

/**
 * The slice of autocannon's per-connection `Client` (lib/httpClient.js, autocannon 9) that the
 * tracker relies on. `request`, `headers`, `response`, `timeout` and `connError` are events the
 * client emits; `conn` (the current socket), `rate` (its share of `overallRate`) and
 * `requestIterator` (its request sequence) are plain properties. Only `headers`/`response` are
 * documented; test/workloads/rest pins the rest against the installed autocannon.
 */
export interface TrackedClient {
  on(event: 'request' | 'timeout', listener: () => void): unknown;
  on(event: 'headers', listener: (info: { headers?: unknown }) => void): unknown;
  on(event: 'response', listener: (status: number) => void): unknown;
  on(event: 'connError', listener: (error: unknown) => void): unknown;
  conn?: unknown;
  rate?: number;
  requestIterator?: { requests: { requestBuffer?: Buffer }[]; currentRequestIndex: number };
}

interface InFlight {
  endpoint: RestEndpoint;
  /** When the request was handed to the socket (clock ms, µs precision). */
  sentAt: number;
  /** The socket it was written to: a request whose socket is gone will never be answered. */
  conn: unknown;
}

interface ClientState {
  fifo: InFlight[];
  sent: number;
  limit: string | undefined;
  remaining: string | undefined;
}

export interface ResponseTrackerOptions {
  metrics: MetricSink;
  /** Source of the requests: each send takes the next one. */
  plan: { nextWire(): WireRequest };
  /** Monotonic ms with sub-ms precision (ctx.clock.now). */
  now: () => number;
  /**
   * Open model only: requests in flight per connection (pipelining). When set, a response slower
   * than its slot's send interval (`pipelining × 1000 / client.rate` ms) also records the
   * latencies of the requests that slot should have sent while it waited (see recordLatency).
   */
  openModelPipelining?: number;
}

/** Upper bound of synthesised samples per response, so one pathological stall cannot stall us. */
const MAX_SYNTHETIC = 100_000;

/**
 * Times every autocannon request itself and records it per endpoint template.
 *
 * Why not autocannon's numbers: its histogram keeps whole milliseconds, it knows nothing of our
 * endpoints, and its in-flight queue is not emptied when a socket errors or ends, so its
 * `responseTime` can belong to an older request after a reconnect.
 *
 * What is sent, and how requests are matched to responses: autocannon emits `request` on the
 * client right before it moves to the next slot of its request list (a connection's first
 * request stays on slot 0) and writes that slot's `requestBuffer`. On `request` we take the
 * next request of the plan, put its pre-encoded bytes into that slot, and push
 * `{endpoint, sentAt, conn}` onto a per-client FIFO. (autocannon's own per-request
 * `setupRequest` path rebuilds every request through its generic builder: about a sixth of the
 * client's CPU in a profile of bench:rest; the plan encodes each (endpoint, agent) once.)
 * HTTP/1.1 answers in order, so with pipelining the FIFO's head is the request being answered.
 * Entries written to a socket that is no longer the client's current one were lost with it and
 * are counted as failed attempts (`timeout` after autocannon's timeout, the socket error's class
 * after `connError`, `reset` when the server closed the connection).
 */
export function createResponseTracker(options: ResponseTrackerOptions) {
  const { metrics, now, plan } = options;

  // The recorder keys series by tag objects: hand it the same object every time (cheaper).
  const endpointTags = new Map<RestEndpoint, Tags>();
  const tagsOf = (endpoint: RestEndpoint): Tags => {
    let tags = endpointTags.get(endpoint);
    if (!tags) endpointTags.set(endpoint, (tags = { endpoint }));
    return tags;
  };
  const errorTags = new Map<string, Tags>();
  const fail = (endpoint: RestEndpoint, errorClass: ErrorClass): void => {
    const key = `${endpoint} ${errorClass}`;
    let tags = errorTags.get(key);
    if (!tags) errorTags.set(key, (tags = { endpoint, class: errorClass }));
    metrics.count(METRIC.error, 1, tags);
  };

  /**
   * Drops head entries not on `keepConn` (all of them when it is undefined): each is a failed
   * attempt, recorded as a sample (time until the loss was noticed) and an error, so that
   * errors never outnumber requests in the summary.
   */
  const purge = (state: ClientState, keepConn: unknown, errorClass: ErrorClass): void => {
    const fifo = state.fifo;
    if (fifo.length === 0) return;
    const at = now();
    while (fifo.length > 0 && (keepConn === undefined || fifo[0]!.conn !== keepConn)) {
      const lost = fifo.shift()!;
      metrics.trend(METRIC.request, at - lost.sentAt, tagsOf(lost.endpoint));
      fail(lost.endpoint, errorClass);
    }
  };

  /**
   * Records one latency. Closed model: response time − send time. Open model: the same, plus
   * coordinated-omission correction. autocannon's open model gives each connection a quota of
   * `rate` requests per 1-s window and sends them as soon as a slot is free; it never sends
   * ahead of a slot that is still waiting for an answer, so a slow answer silences that slot.
   * The requests the slot should have sent meanwhile, one every `interval` ms, would each have
   * waited from their intended send time until now: latency − interval, latency − 2·interval, …
   * We record those too (HdrHistogram's recordValueWithExpectedInterval, which autocannon uses
   * for its own histogram, but with the interval in ms: autocannon passes ceil(1/rate) = 1).
   */
  const recordLatency = (client: TrackedClient, endpoint: RestEndpoint, ms: number): void => {
    const tags = tagsOf(endpoint);
    metrics.trend(METRIC.request, ms, tags);
    const pipelining = options.openModelPipelining;
    const rate = client.rate;
    if (pipelining === undefined || !rate) return;
    const interval = (pipelining * 1000) / rate;
    let synthesised = 0;
    for (let missing = ms - interval; missing >= interval && synthesised < MAX_SYNTHETIC; missing -= interval) {
      metrics.trend(METRIC.request, missing, tags);
      synthesised++;
    }
  };

  return {
    /** Call from autocannon's setupClient: hooks the client's events. */
    attach(client: TrackedClient): void {
      const iterator = client.requestIterator;
      if (!iterator || !Array.isArray(iterator.requests) || typeof iterator.currentRequestIndex !== 'number') {
        throw new FleetsimError('bug', 'autocannon internals changed: Client.requestIterator is not as expected (autocannon 9)');
      }
      const state: ClientState = { fifo: [], sent: 0, limit: undefined, remaining: undefined };

      client.on('request', () => {
        const wire = plan.nextWire();
        const requests = iterator.requests;
        // The first request is written from the current slot, every later one from the next.
        const slot = state.sent++ === 0 ? iterator.currentRequestIndex : (iterator.currentRequestIndex + 1) % requests.length;
        requests[slot]!.requestBuffer = wire.bytes;
        state.fifo.push({ endpoint: wire.endpoint, sentAt: now(), conn: client.conn });
      });

      client.on('headers', (info: { headers?: unknown }) => {
        state.limit = undefined;
        state.remaining = undefined;
        const raw = info.headers;
        if (!Array.isArray(raw)) return;
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const name = raw[i] as string;
          // Cheap pre-check: only X-RateLimit-* headers start with x/X and are this long.
          if (name.length < 16 || (name.charCodeAt(0) | 0x20) !== 0x78) continue;
          const lower = name.toLowerCase();
          if (lower === 'x-ratelimit-limit') state.limit = raw[i + 1] as string;
          else if (lower === 'x-ratelimit-remaining') state.remaining = raw[i + 1] as string;
        }
      });

      client.on('response', (status: number) => {
        const at = now();
        purge(state, client.conn, 'reset');
        const entry = state.fifo.shift();
        if (!entry) return;
        const endpoint = entry.endpoint;
        recordLatency(client, endpoint, at - entry.sentAt);
        if (status < 200 || status >= 300) fail(endpoint, httpStatusClass(status));
        if (state.limit !== undefined) metrics.gauge(METRIC.rateLimitLimit, Number(state.limit), tagsOf(endpoint));
        if (state.remaining !== undefined) metrics.gauge(METRIC.rateLimitRemaining, Number(state.remaining), tagsOf(endpoint));
      });

      // Emitted after autocannon already replaced the socket: everything on the old one timed out.
      client.on('timeout', () => purge(state, client.conn, 'timeout'));

      // Emitted before autocannon reconnects: everything written so far is lost with this socket.
      client.on('connError', (error: unknown) => purge(state, undefined, networkErrorClass(error)));
    },
  };
}
