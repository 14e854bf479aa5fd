import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { AgentApiClient, AgentStats } from '../../../src/client/agent-client.js';
import type { ApiResult } from '../../../src/client/http.js';
import { METRIC } from '../../../src/metrics/names.js';
import { runStatsLoop, StatsCounters } from '../../../src/workloads/agents/stats-loop.js';
import { manualClock, memorySink, recordingSleep } from './helpers.js';

function fakeClient(answers: Array<Partial<ApiResult>>, sent: Array<{ stats: AgentStats; intendedAt?: number }>): AgentApiClient {
  let i = 0;
  return {
    reportStats: async (stats: AgentStats, options: { intendedAt?: number }) => {
      sent.push({ stats, intendedAt: options.intendedAt });
      const answer = answers[Math.min(i++, answers.length - 1)]!;
      return { ok: false, status: 0, headers: {}, durationMs: 1, ...answer } as ApiResult;
    },
  } as unknown as AgentApiClient;
}

describe('stats loop', () => {
  it('posts at once, then waits report_interval (Go ns) between reports', async () => {
    const clock = manualClock();
    const metrics = memorySink();
    const waits: number[] = [];
    const stop = new AbortController();
    const sent: Array<{ stats: AgentStats; intendedAt?: number }> = [];
    const client = fakeClient(
      [
        { ok: true, status: 200, body: { report_interval: 250_000_000 } },
        { ok: true, status: 200, body: { report_interval: 1_500_000_000 } },
      ],
      sent,
    );
    await runStatsLoop({ client, metrics, clock, signal: stop.signal, sleep: recordingSleep(clock, waits, 3, () => stop.abort()), counters: new StatsCounters(createRng(1)) });
    expect(waits).toEqual([250, 1500, 1500]);
    expect(sent).toHaveLength(3);
    // The first report is due at once; each later one is due one interval after the answer.
    expect(sent[0]!.intendedAt).toBe(0);
    expect(sent[1]!.intendedAt).toBe(250);
    expect(sent[2]!.intendedAt).toBe(1750);
    expect(metrics.total(METRIC.statsReported)).toBe(3);
  });

  it('retries failures with backoff from 100 ms and resets after a success', async () => {
    const clock = manualClock();
    const waits: number[] = [];
    const stop = new AbortController();
    const sent: Array<{ stats: AgentStats }> = [];
    const fail = { ok: false, status: 500, errorClass: 'http_500' };
    const client = fakeClient([fail, fail, fail, { ok: true, status: 200, body: { report_interval: 60_000_000_000 } }, fail], sent);
    const metrics = memorySink();
    await runStatsLoop({ client, metrics, clock, signal: stop.signal, sleep: recordingSleep(clock, waits, 5, () => stop.abort()), counters: new StatsCounters(createRng(2)) });
    expect(waits).toEqual([100, 200, 400, 60_000, 100]);
    expect(metrics.total(METRIC.statsReported)).toBe(1);
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
