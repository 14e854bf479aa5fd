import type { MetricSink, Tags } from '../../../src/metrics/sink.js';

/** A MetricSink that keeps every sample, for assertions. */
export interface RecordingSink extends MetricSink {
  counts: Map<string, number>;
  trends: Map<string, number[]>;
  gauges: Map<string, number>;
  /** Sum of a counter over one tag set (`name|k=v,...`). */
  total(name: string, tags?: Tags): number;
  samples(name: string, tags?: Tags): number[];
}

const key = (name: string, tags?: Tags): string =>
  `${name}|${Object.entries(tags ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

export function recordingSink(): RecordingSink {
  const counts = new Map<string, number>();
  const trends = new Map<string, number[]>();
  const gauges = new Map<string, number>();
  return {
    counts,
    trends,
    gauges,
    trend: (name, ms, tags) => {
      const k = key(name, tags);
      const list = trends.get(k) ?? [];
      list.push(ms);
      trends.set(k, list);
    },
    count: (name, n, tags) => counts.set(key(name, tags), (counts.get(key(name, tags)) ?? 0) + n),
    gauge: (name, v, tags) => gauges.set(key(name, tags), v),
    rate: () => {},
    total: (name, tags) => counts.get(key(name, tags)) ?? 0,
    samples: (name, tags) => trends.get(key(name, tags)) ?? [],
  };
}
