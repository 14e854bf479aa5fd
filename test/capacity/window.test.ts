import { describe, expect, it } from 'vitest';
import { createStepWindow } from '../../src/capacity/window.js';
import { METRIC } from '../../src/metrics/names.js';
import { manualClock } from '../helpers/clock.js';

const stats = { endpoint: 'POST /me/report-stats' };

describe('capacity step window', () => {
  it('keeps only the samples between the ramp and the end, with gauges carried in', () => {
    const clock = manualClock({ startMs: 1000 });
    const window = createStepWindow(clock, 2000, 5000);
    const sink = window.tap(clock.now());
    sink.gauge(METRIC.agentsConnected, 3);
    sink.trend(METRIC.request, 500, stats); // ramp: not in the window
    clock.advance(1000);
    sink.gauge(METRIC.agentsConnected, 10);
    clock.advance(1000); // t = 2 s: the window opens
    sink.trend(METRIC.request, 20, stats);
    sink.trend(METRIC.request, 30, stats);
    sink.count(METRIC.error, 1, { ...stats, class: 'timeout' });
    clock.advance(3000); // t = 5 s: the window closes
    sink.trend(METRIC.request, 900, stats); // teardown: not in the window
    sink.gauge(METRIC.agentsConnected, 0);
    const measured = window.finish()!;
    expect(measured).toBeDefined();
    const series = measured.recorder.trendSeries(METRIC.request);
    expect(series.map((s) => s.count)).toEqual([2]);
    expect(series[0]!.maxUs).toBe(30_000);
    expect(measured.recorder.counterTotal(METRIC.error)).toBe(1);
    expect(measured.recorder.gaugeValue(METRIC.agentsConnected)).toMatchObject({ last: 10, atEnd: 10 });
    expect(measured.endedAtMs - measured.startedAtMs).toBe(3000);
  });

  it('is empty when the run stopped before the window', () => {
    const clock = manualClock();
    const window = createStepWindow(clock, 2000, 5000);
    const sink = window.tap(clock.now());
    sink.trend(METRIC.request, 20, stats);
    clock.advance(1000);
    expect(window.finish()).toBeUndefined();
    clock.advance(10_000); // its timers were cancelled
    sink.trend(METRIC.request, 20, stats);
  });
});
