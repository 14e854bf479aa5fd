import { describe, expect, it } from 'vitest';
import { ENDPOINT, isAgentEndpoint, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import type { EncodedRecorder } from '../../src/metrics/recorder-types.js';
import { manualClock } from '../helpers/clock.js';

const STATS = { endpoint: ENDPOINT.reportStats };
const USER_AGENT = { endpoint: ENDPOINT.agent };

describe('isAgentEndpoint', () => {
  it('is true for agent-side routes and false for the user-side {id} routes', () => {
    for (const e of [ENDPOINT.reportStats, ENDPOINT.agentCoordinate, ENDPOINT.awsIdentity, ENDPOINT.metadata, 'RPC /agent.v2.Agent/UpdateStats']) {
      expect(isAgentEndpoint(e)).toBe(true);
    }
    for (const e of [ENDPOINT.agent, ENDPOINT.clientCoordinate, ENDPOINT.listeningPorts, ENDPOINT.pty]) expect(isAgentEndpoint(e)).toBe(false);
    expect(isAgentEndpoint(undefined)).toBe(true);
  });
});

describe('recorder time series for recovery metrics', () => {
  it('keeps a per-second agent p99 apart from user-side requests, reconnects and errors by class', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    for (let i = 0; i < 10; i++) r.trend(METRIC.request, 10, STATS);
    for (let i = 0; i < 10; i++) r.trend(METRIC.request, 900, USER_AGENT); // REST load on GET /{id}: not the agents'
    r.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'reset' });
    clock.set(1500);
    r.trend(METRIC.request, 50, { endpoint: ENDPOINT.agentCoordinate });
    r.count(METRIC.agentsReconnects, 1);
    r.count(METRIC.agentsReconnects, 1);
    r.count(METRIC.error, 1, { endpoint: ENDPOINT.agentCoordinate, class: 'refused' });
    r.count(METRIC.error, 3, { endpoint: ENDPOINT.reportStats, class: 'reset' });
    clock.set(2100);
    r.trend(METRIC.request, 5, USER_AGENT);
    const ts = r.timeSeries();
    // 2 significant digits per second (HDR reports a bucket's upper edge).
    expect(ts[0]!.agentP99Ms).toBeCloseTo(10, 0);
    expect(ts[1]!.agentP99Ms).toBeCloseTo(50, -0.5);
    expect(ts[2]!.agentP99Ms).toBeNull();
    expect(ts[0]!.p99Ms).toBeCloseTo(900, -1); // the all-requests p99 still sees everything
    expect(ts.map((p) => p.reconnects)).toEqual([0, 2, 0]);
    expect(r.errorsBySecond()).toEqual([
      [{ endpoint: ENDPOINT.reportStats, class: 'reset', count: 2 }],
      [
        { endpoint: ENDPOINT.reportStats, class: 'reset', count: 3 },
        { endpoint: ENDPOINT.agentCoordinate, class: 'refused', count: 1 },
      ],
      [],
    ]);
  });

  it('merging shards equals one recorder for the agent p99, reconnects and errors per second', () => {
    const clocks = [0, 1, 2].map(() => manualClock({ wallStartMs: 1_800_000_000_000 }));
    const [all, a, b] = clocks.map((clock) => createRecorder({ clock, startedAtMs: 1_800_000_000_000 }));
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const classes = ['reset', 'timeout', 'http_502'];
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor((i / 3000) * 6000);
      const shard = i % 2 === 0 ? a! : b!;
      const shardClock = clocks[i % 2 === 0 ? 1 : 2]!;
      const ms = rnd() < 0.02 ? 500 + rnd() * 2000 : rnd() * 30;
      const endpoint = rnd() < 0.3 ? ENDPOINT.agent : ENDPOINT.reportStats;
      for (const [rec, clock] of [
        [all!, clocks[0]!],
        [shard, shardClock],
      ] as const) {
        clock.set(t);
        rec.trend(METRIC.request, ms, { endpoint });
        if (i % 37 === 0) rec.count(METRIC.agentsReconnects, 1);
        if (i % 11 === 0) rec.count(METRIC.error, 1, { endpoint, class: classes[i % 3]! });
      }
    }
    const merged = createRecorder({ clock: manualClock(), startedAtMs: all!.startedAtMs });
    // The encodings travel as JSON between shards and processes.
    merged.merge(JSON.parse(JSON.stringify(b!.encode())) as EncodedRecorder);
    merged.merge(JSON.parse(JSON.stringify(a!.encode())) as EncodedRecorder);
    const pick = (p: { agentP99Ms: number | null; p99Ms: number | null; reconnects: number; errors: number }) => [
      p.agentP99Ms,
      p.p99Ms,
      p.reconnects,
      p.errors,
    ];
    expect(merged.timeSeries().map(pick)).toEqual(all!.timeSeries().map(pick));
    const sorted = (rows: { endpoint: string; class: string; count: number }[][]) =>
      rows.map((row) => [...row].sort((x, y) => (x.endpoint + x.class).localeCompare(y.endpoint + y.class)));
    expect(sorted(merged.errorsBySecond())).toEqual(sorted(all!.errorsBySecond()));
    expect(all!.timeSeries().some((p) => p.agentP99Ms !== null && p.agentP99Ms !== p.p99Ms)).toBe(true);
  });

  it('reading the series mid-second loses nothing: agent samples count in both p99s exactly once', () => {
    const record = (r: ReturnType<typeof createRecorder>, from: number, to: number) => {
      for (let i = from; i < to; i++) r.trend(METRIC.request, i % 2 === 0 ? 1 + i : 500 + i, i % 2 === 0 ? STATS : USER_AGENT);
    };
    const straight = createRecorder({ clock: manualClock() });
    record(straight, 0, 200);
    const interrupted = createRecorder({ clock: manualClock() });
    record(interrupted, 0, 150);
    interrupted.timeSeries();
    interrupted.encode();
    record(interrupted, 150, 200);
    expect(interrupted.timeSeries()).toEqual(straight.timeSeries());
    expect(interrupted.encode().seconds).toEqual(straight.encode().seconds);
  });

  it('merges an encoding written before the recovery fields existed', () => {
    const r = createRecorder({ clock: manualClock() });
    r.trend(METRIC.request, 7, STATS);
    const old = r.encode();
    delete old.seconds.agentLatency;
    delete old.seconds.reconnects;
    delete old.seconds.errorsBy;
    const m = createRecorder({ clock: manualClock(), startedAtMs: r.startedAtMs });
    m.merge(old);
    expect(m.timeSeries()[0]).toMatchObject({ requests: 1, reconnects: 0, agentP99Ms: null });
    expect(m.timeSeries()[0]!.p99Ms).toBeCloseTo(7, 1);
  });
});
