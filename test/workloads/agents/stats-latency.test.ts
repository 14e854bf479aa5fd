import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentApiClient } from '../../../src/client/agent-client.js';
import { createHttpTransport, type HttpTransport } from '../../../src/client/http.js';
import { StopSource } from '../../../src/client/stop-signal.js';
import { systemClock } from '../../../src/core/clock.js';
import { createRng } from '../../../src/core/rng.js';
import { ENDPOINT, METRIC } from '../../../src/metrics/names.js';
import { StatsCounters, StatsReporter } from '../../../src/workloads/agents/stats-loop.js';
import { TimerHeap } from '../../../src/workloads/agents/timer-heap.js';
import { startHttpServer, type LoopbackHttp } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';

const REPORTS = 30;
/** How long the server holds each answer, so every exchange spans a real timer. */
const HOLD_MS = 2;

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

describe('stats latency over loopback', () => {
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
