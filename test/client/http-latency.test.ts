import { describe, expect, it } from 'vitest';
import type { Dispatcher } from 'undici';
import { send, type HttpTransport } from '../../src/client/http.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { manualClock } from '../helpers/clock.js';
import { recordingSink } from '../helpers/sink.js';

/** A transport whose pool hands each request's handler to the test instead of a socket. */
function capturingTransport(handlers: Dispatcher.DispatchHandler[]): HttpTransport {
  const pool = { dispatch: (_options: unknown, handler: Dispatcher.DispatchHandler) => void handlers.push(handler) };
  return { baseUrl: 'http://127.0.0.1:1', pool: pool as unknown as HttpTransport['pool'], close: async () => {} };
}

/** Answers the request 200 `{}`, as undici's core calls a dispatch handler. */
function answer(handler: Dispatcher.DispatchHandler): void {
  const h = handler as unknown as {
    onConnect(abort: () => void): void;
    onHeaders(status: number, raw: Buffer[]): boolean;
    onData(chunk: Buffer): boolean;
    onComplete(): void;
  };
  h.onConnect(() => {});
  h.onHeaders(200, []);
  h.onData(Buffer.from('{}'));
  h.onComplete();
}

describe('request latency from the intended send time', () => {
  it('counts from the intended time when the send is late, but from the actual start when it is early', async () => {
    const clock = manualClock({ startMs: 1000 });
    const metrics = recordingSink();
    const handlers: Dispatcher.DispatchHandler[] = [];
    const ctx = { transport: capturingTransport(handlers), metrics, clock };
    const request = (intendedAt: number) =>
      send(ctx, { method: 'POST', path: '/me/report-stats', endpoint: ENDPOINT.reportStats, json: {}, timeoutMs: 1000, intendedAt });

    // Late by 3 ms (event-loop lag): the lag is part of the latency (coordinated omission).
    const late = request(997);
    // "Due" 0.6 ms from now: a timer that fired early must not shorten the round trip.
    const early = request(1000.6);
    clock.advance(5);
    answer(handlers[0]!);
    answer(handlers[1]!);
    expect((await late).durationMs).toBe(8);
    expect((await early).durationMs).toBe(5);
    expect(metrics.values(METRIC.request, { endpoint: ENDPOINT.reportStats })).toEqual([8, 5]);
  });
});
