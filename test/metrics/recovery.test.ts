import { describe, expect, it } from 'vitest';
import { ENDPOINT } from '../../src/metrics/names.js';
import { computeRecovery, type RecoverySecond } from '../../src/metrics/recovery.js';

/**
 * A synthetic run of `n` seconds: 100 agents connected, agent p99 10 ms, no reconnects or
 * errors, except where `edit` overrides a second.
 */
function run(n: number, edit: (s: number) => Partial<RecoverySecond> | undefined = () => undefined): RecoverySecond[] {
  return Array.from({ length: n }, (_, s) => ({ connected: 100, agentP99Ms: 10, reconnects: 0, ...edit(s) }));
}

const COORD = ENDPOINT.agentCoordinate;
const STATS = ENDPOINT.reportStats;

describe('computeRecovery', () => {
  it('a socket drop and full recovery: time from the fault to count and p99 back, errors and reconnect peak of the impact', () => {
    const series = run(40, (s) => {
      if (s === 15) return { agentP99Ms: 12 }; // the baseline is a median: one slower second does not move it
      if (s === 20) return { connected: 0, agentP99Ms: 200, errors: [{ endpoint: COORD, class: 'reset', count: 100 }] };
      if (s === 21) return { connected: 50, agentP99Ms: 100, reconnects: 50, errors: [{ endpoint: COORD, class: 'refused', count: 5 }] };
      if (s === 22) return { connected: 98, agentP99Ms: 20, reconnects: 48 }; // 98 < 99 % of 100
      if (s === 23) return { connected: 99, agentP99Ms: 14.9, reconnects: 1 }; // both hold from here
      if (s === 30) return { errors: [{ endpoint: STATS, class: 'timeout', count: 1 }] }; // after the recovery: not this fault's
      return undefined;
    });
    const [r] = computeRecovery(series, [{ action: 'drop-agent-sockets', atMs: 20_500, endedAtMs: 20_500 }]);
    expect(r).toEqual({
      action: 'drop-agent-sockets',
      atMs: 20_500,
      endedAtMs: 20_500,
      // Recovered from second 23 on (held 23, 24, 25): the end of second 23 is 24 000 ms.
      recoveredAfterMs: 3_500,
      peakReconnectsPerSecond: 50,
      errors: [
        { endpoint: COORD, class: 'reset', count: 100 },
        { endpoint: COORD, class: 'refused', count: 5 },
      ],
      baseline: { connected: 100, p99Ms: 10, source: 'window' },
    });
  });

  it('the count recovers first but the fault is not over until the agent p99 is back under 1.5 x', () => {
    const series = run(45, (s) => {
      if (s >= 20 && s <= 21) return { connected: 0, agentP99Ms: null }; // target down: no answers at all
      if (s >= 22 && s <= 29) return { agentP99Ms: 40, reconnects: s === 22 ? 100 : 0 };
      if (s === 30) return { agentP99Ms: 15 }; // 15 is not under 1.5 × 10
      if (s === 32) return { agentP99Ms: null }; // a second without agent requests does not break the streak
      return undefined;
    });
    const [r] = computeRecovery(series, [{ action: 'restart-target', atMs: 20_000, endedAtMs: 21_000 }]);
    // Streak 31, 32 (no evidence, neutral), 33: recovered at the end of second 31.
    expect(r!.recoveredAfterMs).toBe(32_000 - 21_000);
    expect(r!.peakReconnectsPerSecond).toBe(100);
  });

  it('never recovers: null, and the impact runs to the end of the series', () => {
    const series = run(30, (s) =>
      s >= 10 ? { connected: 80, reconnects: s === 10 ? 3 : 1, errors: [{ endpoint: COORD, class: 'http_401', count: 2 }] } : undefined,
    );
    const [r] = computeRecovery(series, [{ action: 'revoke-tokens', atMs: 10_000, endedAtMs: 12_000 }]);
    expect(r!.recoveredAfterMs).toBeNull();
    expect(r!.errors).toEqual([{ endpoint: COORD, class: 'http_401', count: 40 }]);
    expect(r!.peakReconnectsPerSecond).toBe(3);
  });

  it('a streak that the run cuts short is not a recovery, nor is one calm second inside a storm', () => {
    const storm = run(30, (s) => (s >= 10 && s !== 14 && s < 28 ? { agentP99Ms: 90 } : undefined));
    const [cut] = computeRecovery(storm, [{ action: 'latency', atMs: 10_000, endedAtMs: 11_000 }]);
    expect(cut!.recoveredAfterMs).toBeNull(); // 28, 29 hold but the run ends before a third second
    const [held] = computeRecovery(storm, [{ action: 'latency', atMs: 10_000, endedAtMs: 11_000 }], { holdSeconds: 2 });
    expect(held!.recoveredAfterMs).toBe(29_000 - 11_000); // second 14 alone does not hold for 2 s; 28, 29 do
    const [instant] = computeRecovery(storm, [{ action: 'latency', atMs: 10_000, endedAtMs: 11_000 }], { holdSeconds: 1 });
    expect(instant!.recoveredAfterMs).toBe(15_000 - 11_000); // without a hold, the calm second counts
  });

  it('a streak starts only on a second with agent requests', () => {
    const series = run(30, (s) => (s >= 10 && s <= 12 ? { agentP99Ms: null, connected: s === 10 ? 0 : 100 } : undefined));
    const [r] = computeRecovery(series, [{ action: 'blackhole', atMs: 10_000, endedAtMs: 10_000 }]);
    expect(r!.recoveredAfterMs).toBe(14_000 - 10_000); // 11 and 12 are silent, 13 is the first evidence
  });

  it('back-to-back faults: the first recovers only when the fleet does; the second keeps the clean seconds as baseline', () => {
    const series = run(40, (s) => {
      if (s >= 20 && s <= 25) return { agentP99Ms: 80 };
      if (s >= 26 && s <= 28) return { connected: 10, agentP99Ms: 50, reconnects: 30 };
      if (s >= 16 && s <= 19) return { connected: 90, agentP99Ms: 8 };
      return undefined;
    });
    const [a, b] = computeRecovery(series, [
      // Given out of order: results come back in order of start.
      { action: 'restart-target', atMs: 26_000, endedAtMs: 27_000 },
      { action: 'latency', atMs: 20_000, endedAtMs: 25_000 },
    ]);
    expect(a!.action).toBe('latency');
    expect(a!.baseline).toEqual({ connected: 90, p99Ms: 10, source: 'window' }); // seconds 10..19: median of 6 × 10 ms, 4 × 8 ms
    expect(a!.recoveredAfterMs).toBe(30_000 - 25_000); // 29 is the first healthy second
    expect(a!.peakReconnectsPerSecond).toBe(30);
    expect(b!.action).toBe('restart-target');
    // Its 10 s window (16..25) minus the latency fault's unrecovered seconds (20..28) leaves 16..19.
    expect(b!.baseline).toEqual({ connected: 90, p99Ms: 8, source: 'window' });
    expect(b!.recoveredAfterMs).toBe(30_000 - 27_000);
  });

  it('a fault inside an unrecovered one inherits its baseline', () => {
    const series = run(60, (s) => (s >= 5 && s < 40 ? { connected: 40, agentP99Ms: 60 } : s < 5 ? { agentP99Ms: 4 } : undefined));
    const [outer, inner] = computeRecovery(series, [
      { action: 'bandwidth', atMs: 5_000, endedAtMs: 38_000 },
      { action: 'reset', atMs: 20_000, endedAtMs: 20_000 },
    ]);
    expect(outer!.baseline).toEqual({ connected: 100, p99Ms: 4, source: 'window' });
    expect(inner!.baseline).toEqual({ connected: 100, p99Ms: 4, source: 'earlier-fault' });
    // From 40 on: 100 agents, 10 ms; the bar is max(1.5 × 4, 4 + 1) = 6 ms, so never.
    expect(outer!.recoveredAfterMs).toBeNull();
    expect(inner!.recoveredAfterMs).toBeNull();
    const [, loose] = computeRecovery(
      series,
      [
        { action: 'bandwidth', atMs: 5_000, endedAtMs: 38_000 },
        { action: 'reset', atMs: 20_000, endedAtMs: 20_000 },
      ],
      { p99Factor: 3 },
    );
    expect(loose!.recoveredAfterMs).toBe(41_000 - 20_000);
  });

  it('a fault at the very start has no window before it: the whole run is the baseline', () => {
    const ramp = [0, 20, 50, 90, 100];
    const p99 = [50, 40, 30, 20];
    const series = run(30, (s) => ({ connected: ramp[s] ?? 100, agentP99Ms: p99[s] ?? 10 }));
    const [r] = computeRecovery(series, [{ action: 'restart-target', atMs: 0, endedAtMs: 2_000 }]);
    // Highest connected count of the run; median p99 of the seconds after the fault window (3..29).
    expect(r!.baseline).toEqual({ connected: 100, p99Ms: 10, source: 'whole-run' });
    expect(r!.recoveredAfterMs).toBe(5_000 - 2_000); // second 3 has 90 agents, 4 is the first with 100
    // One second in: that second is the (short) window, and it counts as found.
    const [early] = computeRecovery(series, [{ action: 'restart-target', atMs: 1_200, endedAtMs: 1_200 }]);
    expect(early!.baseline).toEqual({ connected: 0, p99Ms: 50, source: 'window' });
  });

  it('waives the latency condition without agent requests before the fault, and keeps slack for sub-millisecond p99s', () => {
    const quiet = run(20, (s) => (s < 10 ? { agentP99Ms: null } : s === 10 ? { connected: 50, agentP99Ms: 500 } : { agentP99Ms: 400 }));
    const [r] = computeRecovery(quiet, [{ action: 'drop-agent-sockets', atMs: 10_000, endedAtMs: 10_000 }]);
    expect(r!.baseline.p99Ms).toBeNull();
    expect(r!.recoveredAfterMs).toBe(12_000 - 10_000);
    const fast = run(20, (s) => (s < 10 ? { agentP99Ms: 0.4 } : s === 10 ? { agentP99Ms: 5 } : { agentP99Ms: 1.3 }));
    const [f] = computeRecovery(fast, [{ action: 'latency', atMs: 10_000, endedAtMs: 10_900 }]);
    expect(f!.recoveredAfterMs).toBe(12_000 - 10_900); // 1.3 ms < 0.4 + 1 ms
  });

  it('a fault that never ended ends with the series, unrecovered; a fault after the series has nothing', () => {
    const series = run(20);
    const [open] = computeRecovery(series, [{ action: 'blackhole', atMs: 15_000, endedAtMs: Number.POSITIVE_INFINITY }]);
    expect(open).toMatchObject({ atMs: 15_000, endedAtMs: 20_000, recoveredAfterMs: null });
    const [late] = computeRecovery(series, [{ action: 'refuse', atMs: 25_000, endedAtMs: 26_000 }]);
    expect(late).toMatchObject({ recoveredAfterMs: null, peakReconnectsPerSecond: 0, errors: [] });
    expect(computeRecovery([], [{ action: 'refuse', atMs: 0, endedAtMs: 0 }])[0]).toMatchObject({
      recoveredAfterMs: null,
      baseline: { connected: 0, p99Ms: null, source: 'whole-run' },
    });
  });
});
