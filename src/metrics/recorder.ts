import type { Clock } from '../core/clock.js';
import { addEncoded, encodeHistogram, msToUs, newHistogram, type Histogram } from './hdr.js';
import { isAgentEndpoint, METRIC } from './names.js';
import { PhaseMarks, PhaseTrends } from './phase-stats.js';
import type { CounterSeries, EncodedRecorder, GaugeSeries, LiveSnapshot, RateSeries, Recorder, TimeSeriesPoint, TrendSeries } from './recorder-types.js';
import { seriesKey } from './series-key.js';
import type { Tags } from './sink.js';
import { SecondBuckets } from './time-series.js';

export type { EncodedRecorder, LiveSnapshot, Recorder, TimeSeriesPoint } from './recorder-types.js';

/** name → tags key → series, plus insertion-ordered list for iteration. */
class SeriesTable<S extends { name: string; tags: Tags }> {
  private readonly byName = new Map<string, Map<string, S>>();
  readonly all: S[] = [];

  get(name: string, tags: Tags | undefined): S | undefined {
    return this.byName.get(name)?.get(seriesKey(tags));
  }

  getOrCreate(name: string, tags: Tags | undefined, create: (name: string, tags: Tags) => S): S {
    let byTags = this.byName.get(name);
    if (byTags === undefined) {
      byTags = new Map();
      this.byName.set(name, byTags);
    }
    const key = seriesKey(tags);
    let series = byTags.get(key);
    if (series === undefined) {
      series = create(name, Object.freeze({ ...(tags ?? {}) }));
      byTags.set(key, series);
      this.all.push(series);
    }
    return series;
  }

  list(name?: string): readonly S[] {
    return name === undefined ? this.all : [...(this.byName.get(name)?.values() ?? [])];
  }
}

const newTrend = (name: string, tags: Tags): TrendSeries => ({
  name,
  tags,
  agentRequest: name === METRIC.request && isAgentEndpoint(tags.endpoint),
  ...(name === METRIC.request ? { phases: new PhaseTrends() } : {}),
  histogram: newHistogram(),
  count: 0,
  sumUs: 0,
  minUs: Number.POSITIVE_INFINITY,
  maxUs: 0,
});
const newCounter = (name: string, tags: Tags): CounterSeries =>
  name === METRIC.error ? { name, tags, value: 0, phases: [0, 0, 0] } : { name, tags, value: 0 };
const newGauge = (name: string, tags: Tags): GaugeSeries => ({ name, tags, last: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY });
const newRate = (name: string, tags: Tags): RateSeries => ({ name, tags, passes: 0, total: 0 });

/**
 * Creates the run's recorder. `startedAtMs` (epoch ms, default: `clock.wallNow()` now) is second
 * 0 of the time series; give every shard of one run the same value so their seconds line up.
 *
 * Hot path: one series lookup per sample (two Map gets; the tags key is cached per tags object,
 * so pass hoisted constant tag objects where you can), one HDR record for trends. Every sink
 * method swallows its own failures: recording must never break a workload.
 */
export function createRecorder(opts: { clock: Clock; startedAtMs?: number }): Recorder {
  const { clock } = opts;
  const startedAtMs = opts.startedAtMs ?? clock.wallNow();
  const trends = new SeriesTable<TrendSeries>();
  const counters = new SeriesTable<CounterSeries>();
  const gauges = new SeriesTable<GaugeSeries>();
  const rates = new SeriesTable<RateSeries>();
  const seconds = new SecondBuckets();
  // Error counter series → its endpoint × class index in the per-second error table.
  const errorKinds = new Map<CounterSeries, number>();
  const errorKindOf = (series: CounterSeries): number => {
    let kind = errorKinds.get(series);
    if (kind === undefined) {
      kind = seconds.errorsBy.kindOf(series.tags.endpoint ?? '(untagged)', series.tags.class ?? 'other');
      errorKinds.set(series, kind);
    }
    return kind;
  };
  let totalRequests = 0;
  let totalErrors = 0;
  // Sums of the current value over all tag sets of these gauges (shards add up).
  let agentsConnected = 0;
  let agentsPlanned = 0;
  let peersConnected = 0;
  let endElapsed: number | undefined;
  const marks = new PhaseMarks();
  let phased = true;

  const elapsedMs = (): number => Math.max(0, clock.wallNow() - startedAtMs);
  const currentSecond = (): number => Math.floor(elapsedMs() / 1000);

  const addToGaugeTotals = (name: string, delta: number, second: number | undefined): void => {
    if (name === METRIC.agentsConnected) {
      agentsConnected += delta;
      if (second !== undefined) seconds.setConnected(second, agentsConnected);
    } else if (name === METRIC.agentsPlanned) agentsPlanned += delta;
    else if (name === METRIC.peersConnected) peersConnected += delta;
  };

  const recordTrendUs = (series: TrendSeries, us: number, count: number): void => {
    series.count += count;
    series.sumUs += us * count;
    if (us < series.minUs) series.minUs = us;
    if (us > series.maxUs) series.maxUs = us;
  };

  const recorder: Recorder = {
    startedAtMs,
    elapsedMs,

    trend(name, ms, tags) {
      try {
        if (!Number.isFinite(ms)) return;
        const us = msToUs(ms);
        const series = trends.getOrCreate(name, tags, newTrend);
        series.histogram.recordValue(us);
        recordTrendUs(series, us, 1);
        series.phases?.record(marks.current(endElapsed), us);
        if (name === METRIC.request) {
          totalRequests++;
          series.endpointSeconds ??= seconds.endpoint(series.tags.endpoint ?? '(untagged)', series.agentRequest);
          seconds.request(currentSecond(), us, series.endpointSeconds);
        }
      } catch {
        // A sink never throws.
      }
    },

    count(name, n, tags) {
      try {
        if (!Number.isFinite(n)) return;
        const series = counters.getOrCreate(name, tags, newCounter);
        series.value += n;
        if (series.phases) series.phases[marks.current(endElapsed)]! += n;
        if (name === METRIC.error) {
          totalErrors += n;
          seconds.error(currentSecond(), n, errorKindOf(series));
        } else if (name === METRIC.coordUpdatesDelivered) {
          seconds.deliver(currentSecond(), n);
        } else if (name === METRIC.agentsReconnects) {
          seconds.reconnect(currentSecond(), n);
        }
      } catch {
        // A sink never throws.
      }
    },

    gauge(name, value, tags) {
      try {
        if (!Number.isFinite(value)) return;
        const series = gauges.getOrCreate(name, tags, newGauge);
        const previous = series.min === Number.POSITIVE_INFINITY ? 0 : series.last;
        series.last = value;
        if (value < series.min) series.min = value;
        if (value > series.max) series.max = value;
        addToGaugeTotals(name, value - previous, currentSecond());
      } catch {
        // A sink never throws.
      }
    },

    rate(name, ok, tags) {
      try {
        const series = rates.getOrCreate(name, tags, newRate);
        series.total++;
        if (ok) series.passes++;
      } catch {
        // A sink never throws.
      }
    },

    snapshot(): LiveSnapshot {
      const elapsed = elapsedMs();
      const second = Math.floor(elapsed / 1000);
      return {
        elapsedMs: elapsed,
        agentsConnected,
        agentsPlanned,
        peersConnected,
        requestsPerSecond: second >= 1 ? (seconds.requests[second - 1] ?? 0) : 0,
        totalRequests,
        totalErrors,
      };
    },

    markEnd() {
      if (endElapsed !== undefined) return;
      endElapsed = elapsedMs();
      for (const g of gauges.all) if (g.min !== Number.POSITIVE_INFINITY) g.atEnd = g.last;
    },
    endElapsedMs: () => endElapsed,
    markSteady() {
      marks.markSteady(elapsedMs(), endElapsed);
    },
    steadyElapsedMs: () => marks.steadyMs,
    phased: () => phased,

    encode(): EncodedRecorder {
      return {
        format: 'fleetsim-recorder',
        version: 1,
        startedAtMs,
        ...(endElapsed !== undefined ? { endElapsedMs: endElapsed } : {}),
        ...(phased ? { phased: true as const } : {}),
        ...(marks.steadyMs !== undefined ? { steadyElapsedMs: marks.steadyMs } : {}),
        trends: trends.all.map((s) => ({
          name: s.name,
          tags: { ...s.tags },
          count: s.count,
          sumUs: s.sumUs,
          minUs: s.count === 0 ? 0 : s.minUs,
          maxUs: s.maxUs,
          histogram: encodeHistogram(s.histogram),
          ...(s.phases ? { phases: s.phases.encode() } : {}),
        })),
        counters: counters.all.map((s) => ({ name: s.name, tags: { ...s.tags }, value: s.value, ...(s.phases ? { phases: [...s.phases] } : {}) })),
        gauges: gauges.all
          .filter((s) => s.min !== Number.POSITIVE_INFINITY)
          .map((s) => ({ name: s.name, tags: { ...s.tags }, last: s.last, min: s.min, max: s.max, ...(s.atEnd !== undefined ? { atEnd: s.atEnd } : {}) })),
        rates: rates.all.map((s) => ({ name: s.name, tags: { ...s.tags }, passes: s.passes, total: s.total })),
        seconds: seconds.encode(),
      };
    },

    merge(encoded: EncodedRecorder): void {
      if (encoded?.format !== 'fleetsim-recorder' || encoded.version !== 1) {
        throw new Error(`cannot merge: not a fleetsim recorder encoding of version 1 (format ${String(encoded?.format)}, version ${String(encoded?.version)})`);
      }
      for (const t of encoded.trends) {
        const series = trends.getOrCreate(t.name, t.tags, newTrend);
        addEncoded(series.histogram, t.histogram);
        if (t.count > 0) {
          series.count += t.count;
          series.sumUs += t.sumUs;
          if (t.minUs < series.minUs) series.minUs = t.minUs;
          if (t.maxUs > series.maxUs) series.maxUs = t.maxUs;
        }
        if (t.phases) series.phases?.merge(t.phases);
        if (t.name === METRIC.request) totalRequests += t.count;
      }
      for (const c of encoded.counters) {
        const series = counters.getOrCreate(c.name, c.tags, newCounter);
        series.value += c.value;
        if (series.phases && c.phases) for (let p = 0; p < series.phases.length; p++) series.phases[p]! += c.phases[p] ?? 0;
        if (c.name === METRIC.error) totalErrors += c.value;
      }
      for (const g of encoded.gauges) {
        const series = gauges.getOrCreate(g.name, g.tags, newGauge);
        const fresh = series.min === Number.POSITIVE_INFINITY;
        series.last = fresh ? g.last : series.last + g.last;
        series.min = fresh ? g.min : series.min + g.min;
        series.max = fresh ? g.max : series.max + g.max;
        if (g.atEnd !== undefined) series.atEnd = (series.atEnd ?? 0) + g.atEnd;
        // The per-second connected values are merged by SecondBuckets below.
        addToGaugeTotals(g.name, g.last, undefined);
      }
      for (const r of encoded.rates) {
        const series = rates.getOrCreate(r.name, r.tags, newRate);
        series.passes += r.passes;
        series.total += r.total;
      }
      const shift = encoded.startedAtMs - startedAtMs;
      if (encoded.phased !== true) phased = false;
      else marks.mergeSteady(encoded.steadyElapsedMs === undefined ? undefined : encoded.steadyElapsedMs + shift);
      if (encoded.endElapsedMs !== undefined) {
        const theirEnd = encoded.endElapsedMs + shift;
        endElapsed = endElapsed === undefined ? theirEnd : Math.max(endElapsed, theirEnd);
      }
      seconds.merge(encoded.seconds, Math.round((encoded.startedAtMs - startedAtMs) / 1000));
    },

    histogram(name, tags): Histogram | undefined {
      return trends.get(name, tags)?.histogram;
    },
    counter(name, tags) {
      return counters.get(name, tags)?.value ?? 0;
    },
    counterTotal(name) {
      let sum = 0;
      for (const s of counters.list(name)) sum += s.value;
      return sum;
    },
    gaugeValue(name, tags) {
      const s = gauges.get(name, tags);
      if (!s || s.min === Number.POSITIVE_INFINITY) return undefined;
      return s.atEnd === undefined ? { last: s.last, min: s.min, max: s.max } : { last: s.last, min: s.min, max: s.max, atEnd: s.atEnd };
    },
    rateValue(name, tags) {
      const s = rates.get(name, tags);
      return s ? { passes: s.passes, total: s.total } : undefined;
    },

    trendSeries: (name) => trends.list(name),
    counterSeries: (name) => counters.list(name),
    gaugeSeries: (name) => gauges.list(name).filter((s) => s.min !== Number.POSITIVE_INFINITY),
    rateSeries: (name) => rates.list(name),

    timeSeries(): TimeSeriesPoint[] {
      return seconds.points(Math.max(seconds.length, currentSecond() + 1));
    },
    errorsBySecond() {
      return seconds.errorRows(Math.max(seconds.length, currentSecond() + 1));
    },
    endpointsBySecond() {
      return seconds.endpointPoints(Math.max(seconds.length, currentSecond() + 1));
    },
  };
  return recorder;
}
