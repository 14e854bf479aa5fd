import { seriesKey } from '../metrics/series-key.js';
import type { MetricSink, Tags } from '../metrics/sink.js';
import { COUNTER_FAMILIES, GAUGE_FAMILIES, TREND_FAMILIES, type CounterFamily, type GaugeFamily, type TrendFamily } from './prom-catalog.js';
import { CellTable, HistogramCell, type CountCell } from './prom-cells.js';

/** One gauge family: the last value per sink series (tag set), exposed summed per label set. */
export class GaugeStore {
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(readonly labelNames: readonly string[]) {}

  set(tags: Tags | undefined, value: number): void {
    const key = seriesKey(tags);
    const found = this.series.get(key);
    if (found) found.value = value;
    else {
      const labels: Record<string, string> = {};
      for (const name of this.labelNames) labels[name] = tags?.[name] ?? '';
      this.series.set(key, { labels, value });
    }
  }

  /** Sums per label set, as the recorder sums shards' and fleets' gauges. */
  totals(): { labels: Record<string, string>; value: number }[] {
    const out = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const s of this.series.values()) {
      const key = seriesKey(s.labels);
      const row = out.get(key);
      if (row) row.value += s.value;
      else out.set(key, { labels: s.labels, value: s.value });
    }
    return [...out.values()];
  }
}

/**
 * The Prometheus side of the run's MetricSink: it keeps, per exposed family, the cells that
 * `/metrics` reads. Give it to `teeSink(recorder, feed)` so workloads stay unchanged.
 * Every method is synchronous, never throws, and ignores metric names it does not expose.
 */
export interface PromFeed extends MetricSink {
  readonly histograms: readonly { family: TrendFamily; table: CellTable<HistogramCell> }[];
  readonly counters: readonly { family: CounterFamily; table: CellTable<CountCell> }[];
  readonly gauges: readonly { family: GaugeFamily; store: GaugeStore }[];
  /** The request-duration table (its counts are also `fleetsim_requests_total`). */
  readonly requests: CellTable<HistogramCell>;
}

export function createPromFeed(): PromFeed {
  const histogramsByName = new Map<string, CellTable<HistogramCell>>();
  const histograms: { family: TrendFamily; table: CellTable<HistogramCell> }[] = [];
  for (const [name, family] of Object.entries(TREND_FAMILIES)) {
    const table = new CellTable(family.labels, () => new HistogramCell(family.bucketsMs));
    histogramsByName.set(name, table);
    histograms.push({ family, table });
  }
  const countersByName = new Map<string, CellTable<CountCell>>();
  const counters: { family: CounterFamily; table: CellTable<CountCell> }[] = [];
  for (const [name, family] of Object.entries(COUNTER_FAMILIES)) {
    const table = new CellTable<CountCell>(family.labels, () => ({ value: 0 }));
    countersByName.set(name, table);
    counters.push({ family, table });
  }
  const gaugesByName = new Map<string, GaugeStore>();
  const gauges: { family: GaugeFamily; store: GaugeStore }[] = [];
  for (const [name, family] of Object.entries(GAUGE_FAMILIES)) {
    const store = new GaugeStore(family.labels);
    gaugesByName.set(name, store);
    gauges.push({ family, store });
  }
  const requests = histogramsByName.get('request');
  if (!requests) throw new Error('prom-catalog must expose the request metric');

  return {
    histograms,
    counters,
    gauges,
    requests,
    trend(name, ms, tags) {
      try {
        if (!Number.isFinite(ms)) return;
        histogramsByName.get(name)?.cell(tags).observe(Math.max(ms, 0));
      } catch {
        // A sink never throws.
      }
    },
    count(name, n, tags) {
      try {
        // Counters only go up; a negative count would make Prometheus see a reset.
        if (!Number.isFinite(n) || n < 0) return;
        const table = countersByName.get(name);
        if (table !== undefined) table.cell(tags).value += n;
      } catch {
        // A sink never throws.
      }
    },
    gauge(name, value, tags) {
      try {
        if (!Number.isFinite(value)) return;
        gaugesByName.get(name)?.set(tags, value);
      } catch {
        // A sink never throws.
      }
    },
    rate() {
      // No sink rate is exposed live (none is recorded by the built-in workloads).
    },
  };
}
