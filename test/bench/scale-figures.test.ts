import { describe, expect, it } from 'vitest';
import { compareCounts, lowest, rampSeconds, sumTotals, type ServerTotals } from '../../bench/scale-figures.js';
import { emptyTotals } from '../../src/server/counters.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import type { EndpointStats, RunSummary } from '../../src/metrics/summary-types.js';

const stats = (count: number, errors: number): EndpointStats => ({ count, errors, rate: 0, min: 1, mean: 1, p50: 1, p90: 1, p95: 1, p99: 1, p999: 1, max: 1 });
const totals = (fields: Partial<ServerTotals>): ServerTotals => ({ ...emptyTotals(), ...fields });

describe('bench:scale count check', () => {
  const summary: Pick<RunSummary, 'endpoints' | 'metrics'> = {
    endpoints: {
      [ENDPOINT.version]: stats(10, 0),
      [ENDPOINT.metadata]: stats(11, 1),
      [ENDPOINT.agentCoordinate]: stats(10, 0),
    },
    metrics: {
      trends: [],
      gauges: [],
      rates: [],
      counters: [
        { name: METRIC.lifecycleReported, tags: { state: 'starting' }, value: 10 },
        { name: METRIC.lifecycleReported, tags: { state: 'ready' }, value: 10 },
        { name: METRIC.statsReported, tags: {}, value: 10 },
        { name: METRIC.appHealthReported, tags: {}, value: 7 },
      ],
    },
  };

  it('adds the servers and compares every row', () => {
    const servers = [
      totals({ versionPosts: 6, metadataGets: 6, lifecycleStates: 12, reportStats: 6, appHealth: 4, coordinateOpened: 6 }),
      totals({ versionPosts: 4, metadataGets: 4, lifecycleStates: 8, reportStats: 4, appHealth: 3, coordinateOpened: 4 }),
    ];
    expect(sumTotals(servers)).toEqual({ versionPosts: 10, metadataGets: 10, reportStats: 10, lifecycleStates: 20, appHealth: 7, coordinateOpened: 10 });
    const rows = compareCounts(summary, servers);
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.equal)).toBe(true);
  });

  it('flags a row the servers counted differently', () => {
    const rows = compareCounts(summary, [
      totals({ versionPosts: 10, metadataGets: 10, lifecycleStates: 20, reportStats: 9, appHealth: 7, coordinateOpened: 10 }),
    ]);
    expect(rows.filter((r) => !r.equal)).toEqual([{ what: ENDPOINT.reportStats, report: 10, server: 9, equal: false }]);
  });
});

describe('bench:scale ramp', () => {
  it('counts whole seconds until every agent was connected at once', () => {
    const series = [0, 9000, 25_000, 37_999, 38_000, 38_000].map((connected, t) => ({ t, connected }));
    expect(rampSeconds(series, 38_000)).toBe(5);
    expect(rampSeconds(series, 38_001)).toBeUndefined();
    expect(lowest([3, 1, 2])).toBe(1);
    expect(lowest([])).toBeUndefined();
  });
});
