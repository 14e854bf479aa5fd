import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { GC_KINDS, type GcKind } from './gc-source.js';
import type { GeneratorSecond, GeneratorTotals } from './generator-monitor.js';
import { REQUESTS_TOTAL, type TrendFamily } from './prom-catalog.js';
import type { CellTable, HistogramCell } from './prom-cells.js';
import type { PromFeed } from './prom-feed.js';

/** What `/metrics` shows besides the sink's metrics. */
export interface RegistrySources {
  feed: PromFeed;
  /** The harness self-check (absent: the generator families are not exposed). */
  generator?: { latest(): GeneratorSecond | undefined; totals(): GeneratorTotals };
  /** Constant labels of `fleetsim_run_info` (never credentials: the target is a bare URL). */
  run?: { scenario: string; runId: string; target: string; version: string };
  /** Seconds since the run started, for `fleetsim_run_elapsed_seconds`. */
  elapsedSeconds?: () => number;
}

/**
 * A histogram family exposed straight from its cells. prom-client's Histogram cannot be loaded
 * from precomputed bucket counts, so this is a custom collector: the registry only needs `name`,
 * `get()` (the values, `_bucket` cumulative with `le`, then `_sum` and `_count`) and `reset()`.
 */
function cellHistogram(family: TrendFamily, table: CellTable<HistogramCell>) {
  const edges = family.bucketsMs.map((ms) => ms / 1000);
  return {
    name: family.prom,
    help: family.help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {
      // Cells belong to the run's feed; a registry reset must not rewrite history.
    },
    async get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const { labels, cell } of table.entries()) {
        const cumulative = cell.cumulative();
        edges.forEach((le, i) => {
          values.push({ metricName: `${family.prom}_bucket`, labels: { ...labels, le }, value: cumulative[i]! });
        });
        values.push({ metricName: `${family.prom}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
        values.push({ metricName: `${family.prom}_sum`, labels, value: cell.sumMs / 1000 });
        values.push({ metricName: `${family.prom}_count`, labels, value: cell.count });
      }
      return { name: family.prom, help: family.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

/**
 * Builds the prom-client registry behind `/metrics`. Nothing here runs per sample: every family
 * is read from the feed's cells (or the monitor's latest second) when scraped.
 */
export function createRunRegistry(sources: RegistrySources): Registry {
  const registry = new Registry();
  const { feed } = sources;

  for (const { family, table } of feed.histograms) {
    registry.registerMetric(cellHistogram(family, table) as unknown as Metric);
  }

  new Counter({
    name: REQUESTS_TOTAL.prom,
    help: REQUESTS_TOTAL.help,
    labelNames: [...feed.requests.labelNames],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, cell } of feed.requests.entries()) this.inc(labels, cell.count);
    },
  });
  for (const { family, table } of feed.counters) {
    new Counter({
      name: family.prom,
      help: family.help,
      labelNames: [...family.labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, cell } of table.entries()) this.inc(labels, cell.value);
      },
    });
  }
  for (const { family, store } of feed.gauges) {
    new Gauge({
      name: family.prom,
      help: family.help,
      labelNames: [...family.labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of store.totals()) this.set(labels, value);
      },
    });
  }

  if (sources.run) {
    const info = sources.run;
    const runInfo = new Gauge({
      name: 'fleetsim_run_info',
      help: 'The run being measured (value is always 1).',
      labelNames: ['scenario', 'run_id', 'target', 'version'],
      registers: [registry],
    });
    runInfo.set({ scenario: info.scenario, run_id: info.runId, target: info.target, version: info.version }, 1);
  }
  if (sources.elapsedSeconds) {
    const elapsed = sources.elapsedSeconds;
    new Gauge({
      name: 'fleetsim_run_elapsed_seconds',
      help: 'Seconds since the run started.',
      registers: [registry],
      collect() {
        this.set(elapsed());
      },
    });
  }
  if (sources.generator) registerGenerator(registry, sources.generator);
  return registry;
}

/** The harness self-check: the last sampled second, and running totals. */
function registerGenerator(registry: Registry, generator: NonNullable<RegistrySources['generator']>): void {
  const lastSecond = (name: string, help: string, read: (s: GeneratorSecond) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const latest = generator.latest();
        if (latest) this.set(read(latest));
      },
    });
  lastSecond(
    'fleetsim_generator_event_loop_delay_p50_seconds',
    'Harness event-loop delay p50 in the last sampled second.',
    (s) => s.eventLoopDelayMs.p50 / 1000,
  );
  lastSecond(
    'fleetsim_generator_event_loop_delay_p99_seconds',
    'Harness event-loop delay p99 in the last sampled second (saturated above 0.05).',
    (s) => s.eventLoopDelayMs.p99 / 1000,
  );
  lastSecond(
    'fleetsim_generator_event_loop_delay_max_seconds',
    'Harness event-loop delay max in the last sampled second.',
    (s) => s.eventLoopDelayMs.max / 1000,
  );
  lastSecond(
    'fleetsim_generator_cpu_ratio',
    'Harness process CPU in the last sampled second, as a fraction of one core (saturated at 0.95).',
    (s) => s.cpuPercent / 100,
  );
  lastSecond('fleetsim_generator_resident_memory_bytes', 'Harness resident set size at the last sample.', (s) => s.rssBytes);
  lastSecond('fleetsim_generator_saturated', '1 when the last sampled second broke the saturation limits, else 0.', (s) => (s.saturated ? 1 : 0));

  const total = (name: string, help: string, read: (t: GeneratorTotals) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(generator.totals()));
      },
    });
  total('fleetsim_generator_cpu_seconds_total', 'Harness process CPU time (user + system) since the run started.', (t) => t.cpuSeconds);
  total('fleetsim_generator_sampled_seconds_total', 'Seconds the harness self-check has sampled.', (t) => t.sampledSeconds);
  total('fleetsim_generator_saturated_seconds_total', 'Sampled seconds in which the harness was saturated.', (t) => t.saturatedSeconds);

  // GC: by kind, so a dashboard can tell the frequent short scavenges from the long major pauses.
  const byKind = (name: string, help: string, read: (t: GeneratorTotals) => Partial<Record<GcKind, number>>) =>
    new Counter({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const values = read(generator.totals());
        for (const kind of GC_KINDS) {
          const v = values[kind];
          if (v !== undefined) this.inc({ kind }, v);
        }
      },
    });
  byKind(
    'fleetsim_generator_gc_pause_seconds_total',
    'Time the harness was stopped by garbage collection since the run started, by kind (minor, major, incremental, weakcb).',
    (t) => secondsOf(t.gcPauseMsByKind),
  );
  byKind('fleetsim_generator_gc_pauses_total', 'Garbage-collection pauses of the harness since the run started, by kind.', (t) => t.gcPausesByKind);
  lastSecond(
    'fleetsim_generator_gc_max_pause_seconds',
    'Longest garbage-collection pause of the harness in the last sampled second.',
    (s) => s.gcMaxPauseMs / 1000,
  );
}

function secondsOf(ms: Partial<Record<GcKind, number>>): Partial<Record<GcKind, number>> {
  const out: Partial<Record<GcKind, number>> = {};
  for (const kind of GC_KINDS) if (ms[kind] !== undefined) out[kind] = ms[kind] / 1000;
  return out;
}
