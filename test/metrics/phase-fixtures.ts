import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder, type Recorder } from '../../src/metrics/recorder.js';
import type { ManualClock } from '../helpers/clock.js';

export const STATS = { endpoint: ENDPOINT.reportStats };
export const META_TAGS = { endpoint: ENDPOINT.metadata };

/**
 * A 10 s run on a manual clock: ramp 0–2 s (report-stats 10 × 100 ms, one timeout), steady
 * 2–8 s (report-stats 60 × 5 ms, metadata 6 × 1 ms, two http_500), drain 8–10 s (report-stats
 * 4 × 300 ms, three resets). The summary is built at 10 s.
 */
export function phasedRun(clock: ManualClock, startedAtMs?: number, shift = 0): Recorder {
  const r = createRecorder({ clock, ...(startedAtMs !== undefined ? { startedAtMs } : {}) });
  const at = (ms: number) => clock.set(ms + shift);
  for (let i = 0; i < 10; i++) {
    at(i * 150);
    r.trend(METRIC.request, 100, STATS);
  }
  r.count(METRIC.error, 1, { endpoint: ENDPOINT.reportStats, class: 'timeout' });
  at(2_000);
  r.markSteady();
  for (let i = 0; i < 60; i++) {
    at(2_000 + i * 100);
    r.trend(METRIC.request, 5, STATS);
    if (i % 10 === 0) r.trend(METRIC.request, 1, META_TAGS);
  }
  r.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'http_500' });
  at(8_000);
  r.markEnd();
  r.markSteady(); // too late: ignored
  at(9_000);
  for (let i = 0; i < 4; i++) r.trend(METRIC.request, 300, STATS);
  r.count(METRIC.error, 3, { endpoint: ENDPOINT.reportStats, class: 'reset' });
  at(10_000);
  return r;
}
