import type { MetricSink } from './sink.js';

/**
 * A sink that writes every sample to `primary` (the recorder: the report's source of truth) and
 * then to `secondary` (the target-health watch, the live Prometheus feed). Workloads keep seeing
 * one MetricSink. Both sinks are contractually non-throwing; the tee adds only the second call
 * (a hot path: no loops, no allocation).
 */
export function teeSink(primary: MetricSink, secondary: MetricSink): MetricSink {
  return {
    trend(name, ms, tags) {
      primary.trend(name, ms, tags);
      secondary.trend(name, ms, tags);
    },
    count(name, n, tags) {
      primary.count(name, n, tags);
      secondary.count(name, n, tags);
    },
    gauge(name, value, tags) {
      primary.gauge(name, value, tags);
      secondary.gauge(name, value, tags);
    },
    rate(name, ok, tags) {
      primary.rate(name, ok, tags);
      secondary.rate(name, ok, tags);
    },
  };
}
