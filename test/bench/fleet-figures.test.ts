import { describe, expect, it } from 'vitest';
import { combinedLatency, latencyByEndpoint, perAgentKb, perSecond, ratio, startupLatencyRatio, STARTUP_ENDPOINTS } from '../../bench/fleet-figures.js';
import { encodeHistogram, msToUs, newHistogram } from '../../src/metrics/hdr.js';
import { ENDPOINT } from '../../src/metrics/names.js';

/** An encoded µs histogram of the given ms samples (the recorder's layout). */
function encoded(samplesMs: number[]): string {
  const h = newHistogram();
  for (const ms of samplesMs) h.recordValue(msToUs(ms));
  const out = encodeHistogram(h);
  h.destroy();
  return out;
}

describe('bench:fleet figures', () => {
  it('per-agent memory and rates never divide by zero', () => {
    expect(perAgentKb(1000, 3000, 100)).toBe(20);
    expect(perAgentKb(1000, 3000, 0)).toBe(2000);
    expect(perSecond(19_000, 20_000)).toBe(950);
    expect(perSecond(10, 0)).toBe(10_000);
  });

  it('ratio is null when a side is missing or the divisor is not positive', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(null, 4)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
  });

  it('combines the start-up endpoints into one distribution and ignores the others', () => {
    const byEndpoint = {
      [ENDPOINT.version]: encoded(Array.from({ length: 50 }, () => 1)),
      [ENDPOINT.agentCoordinate]: encoded(Array.from({ length: 50 }, () => 3)),
      // Not a start-up request: must not move the percentiles.
      [ENDPOINT.agent]: encoded(Array.from({ length: 1000 }, () => 100)),
    };
    const all = combinedLatency(byEndpoint);
    expect(all.count).toBe(100);
    expect(all.p50).toBeCloseTo(1, 2);
    expect(all.p99).toBeCloseTo(3, 2);
    expect(STARTUP_ENDPOINTS).not.toContain(ENDPOINT.agent);
    const each = latencyByEndpoint(byEndpoint);
    expect(Object.keys(each)).toEqual([ENDPOINT.agent, ENDPOINT.agentCoordinate, ENDPOINT.version].sort());
    expect(each[ENDPOINT.agent]!.p50).toBeCloseTo(100, 0);
  });

  it('has no percentiles without samples', () => {
    expect(combinedLatency({})).toEqual({ count: 0, p50: null, p99: null });
  });

  it('startup_latency_ratio divides fleetsim by the bare client, p50 and p99 apart', () => {
    expect(startupLatencyRatio({ count: 10, p50: 1.3, p99: 8 }, { count: 10, p50: 1, p99: 4 })).toEqual({ p50: 1.3, p99: 2 });
    expect(startupLatencyRatio({ count: 10, p50: 1, p99: 2 }, { count: 0, p50: null, p99: null })).toEqual({ p50: null, p99: null });
  });
});
