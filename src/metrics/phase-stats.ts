import { addEncoded, encodeHistogram, newHistogram, type Histogram } from './hdr.js';

export { PHASES, type Phase } from './phases.js';
import { PHASES } from './phases.js';

/** One phase's share of a trend series: the same figures a whole series keeps, µs. */
export interface PhaseTrend {
  readonly histogram: Histogram;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

/** One phase's share of a trend series, encoded (the shape of a whole series' encoding). */
export interface EncodedPhaseTrend {
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  histogram: string;
}

/**
 * Per-phase figures of one series: trends keep a full-precision histogram per phase (created on
 * the phase's first sample, so a run keeps at most three per request series), counters three
 * numbers. Recording into the phase's own histogram, rather than merging per-second histograms
 * afterwards, keeps phase percentiles as exact as the whole run's and per endpoint.
 */
export class PhaseTrends {
  readonly byPhase: (PhaseTrend | undefined)[] = [undefined, undefined, undefined];

  record(phase: number, us: number): void {
    const p = (this.byPhase[phase] ??= { histogram: newHistogram(), count: 0, sumUs: 0, minUs: Number.POSITIVE_INFINITY, maxUs: 0 });
    p.histogram.recordValue(us);
    p.count++;
    p.sumUs += us;
    if (us < p.minUs) p.minUs = us;
    if (us > p.maxUs) p.maxUs = us;
  }

  encode(): (EncodedPhaseTrend | null)[] {
    return this.byPhase.map((p) =>
      p === undefined || p.count === 0 ? null : { count: p.count, sumUs: p.sumUs, minUs: p.minUs, maxUs: p.maxUs, histogram: encodeHistogram(p.histogram) },
    );
  }

  merge(encoded: readonly (EncodedPhaseTrend | null)[]): void {
    encoded.forEach((e, phase) => {
      if (!e || e.count === 0 || phase >= PHASES.length) return;
      const p = (this.byPhase[phase] ??= { histogram: newHistogram(), count: 0, sumUs: 0, minUs: Number.POSITIVE_INFINITY, maxUs: 0 });
      addEncoded(p.histogram, e.histogram);
      p.count += e.count;
      p.sumUs += e.sumUs;
      if (e.minUs < p.minUs) p.minUs = e.minUs;
      if (e.maxUs > p.maxUs) p.maxUs = e.maxUs;
    });
  }
}

/**
 * The phase marks of a recorder, ms after its start. In a merge each shard's samples keep the
 * phase that shard gave them (its own marks are in its encoding); the merged marks are the
 * latest shard's: the fleet as a whole reached steady when its last shard did, and stopped when
 * its last shard stopped. A shard that never reached steady leaves the merged run without one.
 */
export class PhaseMarks {
  /** ms when the ramp ended; undefined while ramping (or when a merged shard never ended it). */
  steadyMs: number | undefined;
  /** True once a merged shard is known to have never left its ramp. */
  private neverSteady = false;
  private merged = 0;

  /** Index into PHASES of a sample recorded now. */
  current(endMs: number | undefined): number {
    if (endMs !== undefined) return 2;
    return this.steadyMs !== undefined ? 1 : 0;
  }

  markSteady(atMs: number, endMs: number | undefined): void {
    if (this.steadyMs !== undefined || this.neverSteady || endMs !== undefined) return;
    this.steadyMs = atMs;
  }

  /** Folds in a shard's ramp end (shifted onto our time base), or its lack of one. */
  mergeSteady(theirs: number | undefined): void {
    const first = this.merged === 0 && this.steadyMs === undefined;
    this.merged++;
    if (theirs === undefined) {
      this.neverSteady = true;
      this.steadyMs = undefined;
    } else if (!this.neverSteady) this.steadyMs = first ? theirs : Math.max(this.steadyMs ?? theirs, theirs);
  }
}
