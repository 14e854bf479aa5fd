import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, systemClock } from '../../../src/core/clock.js';
import { createRng } from '../../../src/core/rng.js';
import { AgentApiClient, type AgentStats } from '../../../src/client/agent-client.js';
import { createHttpTransport, type ApiResult, type HttpTransport } from '../../../src/client/http.js';
import { StopSource } from '../../../src/client/stop-signal.js';
import { ENDPOINT, METRIC } from '../../../src/metrics/names.js';
import { StatsCounters, StatsReporter } from '../../../src/workloads/agents/stats-loop.js';
import { TimerHeap } from '../../../src/workloads/agents/timer-heap.js';
import { EarlyClock, manualClock } from '../../helpers/clock.js';
import { startHttpServer, type LoopbackHttp } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';

interface Sent {
  stats: AgentStats;
  intendedAt?: number;
  /** Clock time when the request was handed to the client. */
  at: number;
}

function fakeClient(clock: ManualClock, answers: Array<Partial<ApiResult>>, sent: Sent[]): AgentApiClient {
  let i = 0;
  return {
    reportStats: async (stats: AgentStats, options: { intendedAt?: number }) => {
      sent.push({ stats, intendedAt: options.intendedAt, at: clock.now() });
      const answer = answers[Math.min(i++, answers.length - 1)]!;
      return { ok: false, status: 0, headers: {}, durationMs: 1, ...answer } as ApiResult;
    },
  } as unknown as AgentApiClient;
}

/** A StatsReporter on a TimerHeap over `clock`, as the fleet runs it. */
function startReporter(clock: ManualClock, answers: Array<Partial<ApiResult>>, seed = 1) {
  const sent: Sent[] = [];
  const metrics = recordingSink();
  const heap = new TimerHeap(clock);
  const stop = new StopSource();
  const reporter = new StatsReporter(fakeClient(clock, answers, sent), metrics, clock, heap, stop, new StatsCounters(createRng(seed)), {
    statsAnswered() {},
    statsAccepted() {},
  });
  reporter.start();
  return {
    sent,
    metrics,
    async end() {
      stop.abort();
      reporter.stop();
      await reporter.inFlight;
      heap.clear();
      expect(clock.pendingTimers).toBe(0);
    },
  };
}

describe('stats reporter', () => {
  it('posts at once, then waits report_interval (Go ns) from each answer', async () => {
    const clock = manualClock();
    const r = startReporter(clock, [
      { ok: true, status: 200, body: { report_interval: 250_000_000 } },
      { ok: true, status: 200, body: { report_interval: 1_500_000_000 } },
    ]);
    const waits: Array<number | undefined> = [];
    for (const step of [250, 1500, 1500]) {
      await clock.advanceAsync(0); // the answer lands, the next report is scheduled
      waits.push(clock.nextDueIn());
      await clock.advanceAsync(step);
    }
    expect(waits).toEqual([250, 1500, 1500]);
    expect(r.sent).toHaveLength(4);
    // The first report is due at once; each later one is due one interval after the answer.
    expect(r.sent.map((s) => s.intendedAt)).toEqual([0, 250, 1750, 3250]);
    expect(r.metrics.total(METRIC.statsReported)).toBe(4);
    await r.end();
  });

  it('retries failures with backoff from 100 ms and resets after a success', async () => {
    const clock = manualClock();
    const fail = { ok: false, status: 500, errorClass: 'http_500' };
    const r = startReporter(clock, [fail, fail, fail, { ok: true, status: 200, body: { report_interval: 60_000_000_000 } }, fail], 2);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      await clock.advanceAsync(0);
      const wait = clock.nextDueIn()!;
      waits.push(wait);
      await clock.advanceAsync(wait);
    }
    expect(waits).toEqual([100, 200, 400, 60_000, 100]);
    expect(r.metrics.total(METRIC.statsReported)).toBe(1);
    await r.end();
  });

  it('never stamps an intended send time later than the send, even when timers fire early', async () => {
    // Like a Node timer against performance.now(): up to 1 ms early.
    const clock = new EarlyClock(0.6);
    const r = startReporter(clock, [{ ok: true, status: 200, body: { report_interval: 250_000_000 } }]);
    for (let i = 0; i < 5; i++) await clock.advanceAsync(250);
    expect(r.sent.length).toBeGreaterThanOrEqual(5);
    for (const s of r.sent) expect(s.intendedAt!).toBeLessThanOrEqual(s.at);
    await r.end();
  });

  it('reports counters that only grow and are never zero', () => {
    const counters = new StatsCounters(createRng(3));
    const a = counters.snapshot(0);
    const b = counters.snapshot(10_000);
    expect(a.rx_bytes).toBeGreaterThan(0);
    expect(a.tx_bytes).toBeGreaterThan(0);
    expect(b.rx_bytes).toBeGreaterThan(a.rx_bytes);
    expect(b.tx_packets).toBeGreaterThan(a.tx_packets);
    expect(Object.keys(b).sort()).toEqual(['conns_by_proto', 'num_comms', 'rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets']);
  });
});

const REPORTS = 30;
/** How long the server holds each answer, so every exchange spans a real timer. */
const HOLD_MS = 2;

describe('stats latency over loopback', () => {
  /** Per request, what the server saw: [arrived, answered] in performance.now() ms. */
  const served: Array<[number, number]> = [];
  let server: LoopbackHttp;
  let transport: HttpTransport;

  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const arrived = performance.now();
        setTimeout(() => {
          served.push([arrived, performance.now()]);
          res.writeHead(200, { 'content-type': 'application/json' });
          // A short report_interval: the reporter posts often, as in the runs that showed min 0 ms.
          res.end(JSON.stringify({ report_interval: 3_000_000 }));
        }, HOLD_MS);
      });
    });
    transport = createHttpTransport({ baseUrl: server.url, connections: 1 });
  });

  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  it('records no report faster than its own round trip', async () => {
    const clock = systemClock();
    const metrics = recordingSink();
    const heap = new TimerHeap(clock);
    const stop = new StopSource();
    const client = new AgentApiClient({ transport, metrics, clock }, 5_000, '11111111-1111-4111-8111-111111111111');
    let answered = 0;
    const done = new Promise<void>((resolve) => {
      const reporter = new StatsReporter(client, metrics, clock, heap, stop, new StatsCounters(createRng('latency')), {
        statsAnswered() {
          if (++answered < REPORTS) return;
          stop.abort();
          reporter.stop();
          resolve();
        },
        statsAccepted() {},
      });
      reporter.start();
    });
    await done;
    heap.clear();

    const recorded = metrics.values(METRIC.request, { endpoint: ENDPOINT.reportStats });
    expect(recorded).toHaveLength(REPORTS);
    expect(served).toHaveLength(REPORTS);
    // One connection, one report at a time: the i-th sample is the i-th exchange. Its round trip
    // is at least the time the server held it; the recorded latency may be longer (a late timer
    // counts), never shorter.
    for (let i = 0; i < REPORTS; i++) {
      const [arrived, answeredAt] = served[i]!;
      expect(recorded[i]!, `report ${i}`).toBeGreaterThanOrEqual(answeredAt - arrived);
    }
  });
});
