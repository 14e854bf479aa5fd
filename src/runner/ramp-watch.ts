import { METRIC } from '../metrics/names.js';
import type { MetricSink } from '../metrics/sink.js';

/**
 * Ends the run's `ramp` phase: wraps the sink the workloads write to and calls `onRampEnd` once
 * `planned` agents have counted METRIC.agentsStartupDone (each agent's first way up ended, done
 * or failed), i.e. when every planned agent finished its start-up sequence. With no planned
 * agents (REST or PTY alone) there is no ramp: `onRampEnd` runs at once.
 *
 * Only `count` is intercepted; the other methods are the inner sink's own, so the hot path
 * (trends) pays nothing.
 */
export function watchRamp(inner: MetricSink, planned: number, onRampEnd: () => void): MetricSink {
  let done = 0;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onRampEnd();
  };
  if (!(planned > 0)) end();
  return {
    trend: inner.trend.bind(inner),
    gauge: inner.gauge.bind(inner),
    rate: inner.rate.bind(inner),
    count(name, n, tags) {
      inner.count(name, n, tags);
      if (name !== METRIC.agentsStartupDone || ended) return;
      done += n;
      if (done >= planned) end();
    },
  };
}
