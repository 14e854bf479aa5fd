import { describe, expect, it } from 'vitest';
import { METRIC } from '../../src/metrics/names.js';
import { watchRamp } from '../../src/runner/ramp-watch.js';
import { recordingSink } from '../helpers/sink.js';

describe('watchRamp', () => {
  it('ends the ramp once, when every planned agent finished its start-up', () => {
    const inner = recordingSink();
    let ended = 0;
    const sink = watchRamp(inner, 3, () => ended++);
    sink.count(METRIC.agentsStartupDone, 1);
    sink.count(METRIC.agentsAuthenticated, 5);
    sink.count(METRIC.agentsStartupDone, 1);
    expect(ended).toBe(0);
    sink.count(METRIC.agentsStartupDone, 1);
    expect(ended).toBe(1);
    sink.count(METRIC.agentsStartupDone, 1);
    expect(ended).toBe(1);
    sink.trend(METRIC.request, 2, { endpoint: 'GET /x' });
    sink.gauge(METRIC.agentsConnected, 3);
    sink.rate('ok', true);
    // Everything still reaches the inner sink.
    expect(inner.samples.map((s) => s.name)).toEqual([
      METRIC.agentsStartupDone,
      METRIC.agentsAuthenticated,
      METRIC.agentsStartupDone,
      METRIC.agentsStartupDone,
      METRIC.agentsStartupDone,
      METRIC.request,
      METRIC.agentsConnected,
      'ok',
    ]);
  });

  it('has no ramp without planned agents', () => {
    let ended = 0;
    watchRamp(recordingSink(), 0, () => ended++);
    expect(ended).toBe(1);
  });
});
