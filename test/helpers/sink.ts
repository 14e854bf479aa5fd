import type { MetricSink, Tags } from '../../src/metrics/sink.js';

export type SampleKind = 'trend' | 'count' | 'gauge' | 'rate';

/** One call made on the sink; a rate's boolean is stored as 1 / 0. */
export interface Sample {
  kind: SampleKind;
  name: string;
  value: number;
  tags: Tags;
}

/** A MetricSink that keeps every call, with the queries tests make of it. */
export interface RecordingSink extends MetricSink {
  /** Every call, in order. */
  readonly samples: Sample[];
  /** Sum of `count` calls of `name` whose tags include `tags`. */
  total(name: string, tags?: Tags): number;
  /** Values of `trend` calls of `name` whose tags include `tags`, in order. */
  values(name: string, tags?: Tags): number[];
  /** The last `gauge` value of `name` whose tags include `tags` (undefined if never set). */
  lastGauge(name: string, tags?: Tags): number | undefined;
  /** Per value of `tags[key]`: how many calls (`'count'`) or the sum of their values (`'sum'`). */
  by(kind: SampleKind, name: string, key: string, reduce?: 'count' | 'sum'): Record<string, number>;
}

const includes = (tags: Tags, wanted: Tags | undefined): boolean => {
  if (!wanted) return true;
  for (const k in wanted) if (tags[k] !== wanted[k]) return false;
  return true;
};

/** A fresh {@link RecordingSink}. Its methods are arrow functions, so they may be destructured. */
export function recordingSink(): RecordingSink {
  const samples: Sample[] = [];
  const record = (kind: SampleKind, name: string, value: number, tags: Tags = {}): void => void samples.push({ kind, name, value, tags });
  const matching = (kind: SampleKind, name: string, tags?: Tags): Sample[] =>
    samples.filter((s) => s.kind === kind && s.name === name && includes(s.tags, tags));
  return {
    samples,
    trend: (name, ms, tags) => record('trend', name, ms, tags),
    count: (name, n, tags) => record('count', name, n, tags),
    gauge: (name, v, tags) => record('gauge', name, v, tags),
    rate: (name, ok, tags) => record('rate', name, ok ? 1 : 0, tags),
    total: (name, tags) => matching('count', name, tags).reduce((sum, s) => sum + s.value, 0),
    values: (name, tags) => matching('trend', name, tags).map((s) => s.value),
    lastGauge: (name, tags) => matching('gauge', name, tags).at(-1)?.value,
    by: (kind, name, key, reduce = 'count') => {
      const out: Record<string, number> = {};
      for (const s of matching(kind, name)) {
        const k = s.tags[key] ?? '';
        out[k] = (out[k] ?? 0) + (reduce === 'count' ? 1 : s.value);
      }
      return out;
    },
  };
}
