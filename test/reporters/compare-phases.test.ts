import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/metrics/summary.js';
import { compareSummaries, renderComparison } from '../../src/reporters/compare.js';
import { manualClock } from '../helpers/clock.js';
import { META } from '../metrics/fixtures.js';
import { phasedRun } from '../metrics/phase-fixtures.js';

const summary = () => buildSummary(phasedRun(manualClock()), { meta: META, agentsPlanned: 1 });
const STATS = 'POST /me/report-stats';

describe('compare per phase', () => {
  it('compares every endpoint per phase and names the phase that regressed', () => {
    const base = summary();
    const cur = summary();
    // The steady p99 doubles; the whole run's p99 (the drain's 300 ms) does not move.
    cur.phases!.steady.endpoints[STATS]!.p99 = 10;
    const c = compareSummaries(base, cur);
    expect(c.rows.filter((r) => r.regression).map((r) => r.metric)).toEqual([`p99 ${STATS} {phase:steady}`]);
    const steady = c.rows.find((r) => r.metric === `p99 ${STATS} {phase:steady}`)!;
    expect(steady).toMatchObject({ phase: 'steady', baseline: 5, current: 10, delta: 5, regression: true });
    expect(c.rows.find((r) => r.metric === `p99 ${STATS}`)).toMatchObject({ baseline: 300, current: 300, regression: false });
    expect(c.rows.map((r) => r.metric)).toEqual(
      expect.arrayContaining([`p50 ${STATS} {phase:ramp}`, `error_rate ${STATS} {phase:drain}`, 'p99 GET /me/metadata {phase:steady}']),
    );
    expect(renderComparison(c)).toMatch(/p99 POST \/me\/report-stats \{phase:steady\} +5\.00ms +10\.0ms +\+5\.00ms \(\+100\.0%\) +REGRESSION/);
  });

  it('still compares a summary written before phases existed (its phase rows are empty, never regressions)', () => {
    const old = summary();
    delete old.phases;
    for (const [base, cur] of [
      [old, summary()],
      [summary(), old],
    ]) {
      const c = compareSummaries(base!, cur!);
      expect(c.regressions).toBe(0);
      const steady = c.rows.find((r) => r.metric === `p99 ${STATS} {phase:steady}`)!;
      expect(steady.delta).toBeNull();
      expect(c.rows.find((r) => r.metric === `p99 ${STATS}`)).toMatchObject({ delta: 0 });
    }
    const neither = compareSummaries(old, old);
    expect(neither.rows.some((r) => r.phase !== undefined)).toBe(false);
  });
});
