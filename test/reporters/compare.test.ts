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

  it('refuses different schema versions', () => {
    const other = { ...handFedSummary(), schemaVersion: 2 } as never;
    expect(() => compareSummaries(handFedSummary(), other)).toThrow(/schema versions 1 and 2/);
  });
});
