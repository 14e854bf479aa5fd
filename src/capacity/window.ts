/**
 * One capacity step's measured window: a sink (given to runScenario as its `tap`) that keeps only
 * the samples recorded between `startMs` and `endMs` after the run's second 0, in a recorder of
 * its own. The SLOs of the step are judged on that recorder's summary, so the ramp (fewer agents,
 * startup traffic) does not dilute them.
 *
 * Gauges are set on change (agents_connected moves when a socket opens or closes), so the last
 * value of every gauge before the window is replayed into it when the window opens.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { createRecorder, type Recorder } from '../metrics/recorder.js';
import type { MetricSink, Tags } from '../metrics/sink.js';

export interface StepWindow {
  /** For RunOptions.tap. */
  tap(startedAtClock: number): MetricSink;
  /**
   * Ends the window (idempotent) and returns its recorder with its epoch-ms bounds, or undefined
   * when the run never reached the window (it stopped during the ramp).
   */
  finish(): { recorder: Recorder; startedAtMs: number; endedAtMs: number } | undefined;
}

export function createStepWindow(clock: Clock, startMs: number, endMs: number): StepWindow {
  let from = Number.POSITIVE_INFINITY;
  let until = Number.NEGATIVE_INFINITY;
  let recorder: Recorder | undefined;
  let endedAtMs: number | undefined;
  let finished = false;
  const timers: TimerHandle[] = [];
  const lastGauges = new Map<string, { name: string; tags: Tags | undefined; value: number }>();

  const open = (): void => {
    if (recorder) return;
    recorder = createRecorder({ clock });
    // The window is the step's hold: all of it is the steady phase (a `{phase:steady}` SLO works).
    recorder.markSteady();
    for (const g of lastGauges.values()) recorder.gauge(g.name, g.value, g.tags);
    lastGauges.clear();
  };
  const close = (): void => {
    if (!recorder || endedAtMs !== undefined) return;
    recorder.markEnd();
    endedAtMs = clock.wallNow();
  };
  const inside = (): boolean => {
    if (finished) return false;
    const now = clock.now();
    if (now < from) return false;
    if (now >= until) {
      close();
      return false;
    }
    open();
    return endedAtMs === undefined;
  };

  const sink: MetricSink = {
    trend(name, ms, tags) {
      if (inside()) recorder!.trend(name, ms, tags);
    },
    count(name, n, tags) {
      if (inside()) recorder!.count(name, n, tags);
    },
    gauge(name, value, tags) {
      if (inside()) recorder!.gauge(name, value, tags);
      else if (!recorder && !finished) lastGauges.set(`${name}\u0000${tags ? JSON.stringify(Object.entries(tags).sort()) : ''}`, { name, tags, value });
    },
    rate(name, ok, tags) {
      if (inside()) recorder!.rate(name, ok, tags);
    },
  };

  return {
    tap(startedAtClock) {
      from = startedAtClock + startMs;
      until = startedAtClock + endMs;
      const now = clock.now();
      timers.push(clock.setTimeout(open, from - now), clock.setTimeout(close, until - now));
      return sink;
    },
    finish() {
      finished = true;
      for (const t of timers) clock.clearTimeout(t);
      timers.length = 0;
      if (!recorder) return undefined;
      close();
      return { recorder, startedAtMs: recorder.startedAtMs, endedAtMs: endedAtMs! };
    },
  };
}
