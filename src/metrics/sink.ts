/**
 * What workloads see of the metrics system. Every method is synchronous and never throws, so a
 * workload can record from any callback without guarding it.
 *
 * Tags are small string maps; the recorder keys its series by metric name plus the sorted tags.
 * Keep tag cardinality low: route templates, never concrete URLs or ids.
 */
export type Tags = Readonly<Record<string, string>>;

export interface MetricSink {
  /** A duration sample in milliseconds (fractional allowed, µs resolution is kept). */
  trend(name: string, ms: number, tags?: Tags): void;
  /** Adds `n` to a counter. */
  count(name: string, n: number, tags?: Tags): void;
  /** Sets the current value of a gauge (the recorder keeps last, min, max and peak). */
  gauge(name: string, value: number, tags?: Tags): void;
  /** One boolean outcome; the recorder keeps passes and total. */
  rate(name: string, ok: boolean, tags?: Tags): void;
}

/** A sink that drops everything (tests and tools that do not report). */
export const nullSink: MetricSink = {
  trend() {},
  count() {},
  gauge() {},
  rate() {},
};
