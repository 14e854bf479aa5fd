import { describe, expect, it } from 'vitest';
import { compareSummaries, renderComparison } from '../../src/reporters/compare.js';
import { handFedSummary } from '../metrics/fixtures.js';

describe('compareSummaries', () => {
  it('finds no regression between identical runs', () => {
    const c = compareSummaries(handFedSummary({ coordinator: true }), handFedSummary({ coordinator: true }));
    expect(c.regressions).toBe(0);
    const p99 = c.rows.find((r) => r.metric === 'p99 POST /me/report-stats')!;
    expect(p99).toMatchObject({ delta: 0, deltaPct: 0, regression: false });
    expect(p99.baseline).toBeCloseTo(99, 1);
    expect(renderComparison(c)).toContain('no regressions (tolerance 10%)');
  });

  it('flags latency, error and throughput regressions beyond tolerance and floor', () => {
    const base = handFedSummary({ coordinator: true });
    const cur = handFedSummary({ coordinator: true });
    cur.endpoints['POST /me/report-stats']!.p99 = 130; // +31 %
    cur.endpoints['GET /me/metadata']!.p99 = 0.4; // +60 % but only 0.15 ms: under the 1 ms floor
    cur.totals.errorRate = 0.2;
    cur.coordinator!.lost = 5;
    const c = compareSummaries(base, cur);
    const flagged = c.rows.filter((r) => r.regression).map((r) => r.metric);
    expect(flagged).toEqual(['error_rate', 'p99 POST /me/report-stats', 'lost']);
    expect(c.regressions).toBe(3);
    const text = renderComparison(c);
    expect(text).toMatch(/p99 POST \/me\/report-stats +99.0ms +130ms +\+31.0ms \(\+31.\d%\) +REGRESSION/);
    const md = renderComparison(c, 'markdown');
    expect(md).toContain('**3 regression(s) (tolerance 10%)**');
    expect(md).toMatch(/\| `p99 POST \/me\/report-stats` \| 99.0ms \| 130ms \| \+31.0ms \(\+31.\d%\) \| ❌ \|/);
  });

  it('shows endpoints present on one side only without flagging them', () => {
    const base = handFedSummary();
    const cur = handFedSummary();
    delete cur.endpoints['GET /me/metadata'];
    const r = compareSummaries(base, cur).rows.find((x) => x.metric === 'p99 GET /me/metadata')!;
    expect(r).toMatchObject({ baseline: 0.25, current: null, delta: null, regression: false });
  });

  it('shows each endpoint’s queued and service p99 beside the headline, never as regressions of their own', () => {
    const split = (queued: number, service: number) => ({
      queued: { count: 10, p50: queued / 2, p99: queued, max: queued },
      service: { count: 10, p50: service / 2, p99: service, max: service },
    });
    const base = handFedSummary();
    const cur = handFedSummary();
    Object.assign(base.endpoints['POST /me/report-stats']!, split(2, 90));
    // Queued: +8 ms (+400 %): shown, but the headline is what counts; service: −10 ms, better.
    Object.assign(cur.endpoints['POST /me/report-stats']!, split(10, 80));
    // A move past the tolerance but under the 1 ms floor is not one.
    Object.assign(base.endpoints['GET /me/metadata']!, split(0.1, 0.2));
    Object.assign(cur.endpoints['GET /me/metadata']!, split(0.5, 0.2));
    const c = compareSummaries(base, cur);
    const byMetric = new Map(c.rows.map((r) => [r.metric, r]));
    expect(byMetric.get('p99 queued POST /me/report-stats')).toMatchObject({ baseline: 2, current: 10, delta: 8, deltaPct: 400, regression: false });
    expect(byMetric.get('p99 service POST /me/report-stats')).toMatchObject({ baseline: 90, current: 80, delta: -10, regression: false });
    expect(byMetric.get('p99 queued GET /me/metadata')).toMatchObject({ regression: false });
    expect(c.rows.filter((r) => / (queued|service) /.test(r.metric) && r.regression)).toEqual([]);
    // Right after the endpoint's headline rows, in both renderings.
    const names = c.rows.map((r) => r.metric);
    expect(names.indexOf('p99 queued POST /me/report-stats')).toBe(names.indexOf('error_rate POST /me/report-stats') + 1);
    expect(renderComparison(c)).toMatch(/p99 queued POST \/me\/report-stats +2\.00ms +10\.0ms +\+8\.00ms \(\+400\.0%\)\s*$/m);
    expect(renderComparison(c, 'markdown')).toMatch(/\| `p99 service POST \/me\/report-stats` \| 90\.0ms \| 80\.0ms \| −10\.0ms \(-11\.1%\) \| {2}\|/);
  });

  it('adds split rows only for endpoints where a side has the split, and a missing side never regresses', () => {
    const base = handFedSummary();
    const cur = handFedSummary();
    cur.endpoints['POST /me/report-stats']!.queued = { count: 3, p50: 1, p99: 50, max: 60 };
    const rows = compareSummaries(base, cur).rows.filter((r) => / (queued|service) /.test(r.metric));
    expect(rows).toEqual([
      { metric: 'p99 queued POST /me/report-stats', unit: 'ms', baseline: null, current: 50, delta: null, deltaPct: null, regression: false },
    ]);
  });

  it('refuses different schema versions', () => {
    const other = { ...handFedSummary(), schemaVersion: 2 } as never;
    expect(() => compareSummaries(handFedSummary(), other)).toThrow(/schema versions 1 and 2/);
  });
});
