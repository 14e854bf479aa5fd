import type { GcPauseKind, GcSecond, GcSummary, TimeSeriesRow } from '../metrics/summary-types.js';
import { SATURATION_RULE } from './saturation.js';
import type { GcPause } from './gc-source.js';

/** A pause this long stalls the harness as much as a saturated second's event-loop p99. */
export const LONG_GC_PAUSE_MS = SATURATION_RULE.eventLoopP99Ms;
/** How many long pauses the summary lists (longest first). */
const MAX_LONG_PAUSES = 10;

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * The harness's GC pauses bucketed by second of the run. `originMs` (epoch ms) is second 0: the
 * runner passes the recorder's start, so second `t` here is second `t` of `timeSeries` and a
 * slow second can be put next to the GC in it. Memory: one small object per second that had a
 * pause, plus at most ten long pauses; `add` never allocates otherwise.
 */
export class GcSeconds {
  private readonly seconds: (GcSecond | undefined)[] = [];
  private readonly kinds = new Map<GcPauseKind, { pauses: number; pauseMs: number }>();
  private readonly long: { t: number; pauseMs: number; kind: GcPauseKind }[] = [];
  private totalMs = 0;
  private count = 0;
  private maxMs = 0;
  private maxKind: GcPauseKind | null = null;

  constructor(readonly originMs: number) {}

  /** The second of the run `atMs` falls in (pauses before the origin count in second 0). */
  secondOf(atMs: number): number {
    return Math.max(0, Math.floor((atMs - this.originMs) / 1000));
  }

  add(pause: GcPause): void {
    const t = this.secondOf(pause.atMs);
    const ms = pause.durationMs;
    let second = this.seconds[t];
    if (!second) {
      second = { pauseMs: 0, pauses: 0, maxPauseMs: 0, majorPauseMs: 0 };
      this.seconds[t] = second;
    }
    second.pauseMs += ms;
    second.pauses += 1;
    second.maxPauseMs = Math.max(second.maxPauseMs, ms);
    if (pause.kind === 'major') second.majorPauseMs += ms;

    const kind = this.kinds.get(pause.kind);
    if (kind) {
      kind.pauses += 1;
      kind.pauseMs += ms;
    } else this.kinds.set(pause.kind, { pauses: 1, pauseMs: ms });
    this.totalMs += ms;
    this.count += 1;
    if (ms > this.maxMs) {
      this.maxMs = ms;
      this.maxKind = pause.kind;
    }
    if (ms >= LONG_GC_PAUSE_MS) this.keepLong({ t, pauseMs: ms, kind: pause.kind });
  }

  private keepLong(pause: { t: number; pauseMs: number; kind: GcPauseKind }): void {
    if (this.long.length === MAX_LONG_PAUSES && pause.pauseMs <= this.long[MAX_LONG_PAUSES - 1]!.pauseMs) return;
    const at = this.long.findIndex((p) => p.pauseMs < pause.pauseMs);
    this.long.splice(at < 0 ? this.long.length : at, 0, pause);
    if (this.long.length > MAX_LONG_PAUSES) this.long.pop();
  }

  /** Second `t`'s figures (rounded), or undefined when it had no pause. */
  second(t: number): GcSecond | undefined {
    const s = this.seconds[t];
    return s ? { pauseMs: round2(s.pauseMs), pauses: s.pauses, maxPauseMs: round2(s.maxPauseMs), majorPauseMs: round2(s.majorPauseMs) } : undefined;
  }

  /** The run's figures; `measuredMs` is the wall time the pauses are a share of. */
  summary(measuredMs: number): GcSummary {
    let worst: number | null = null;
    let worstMs = 0;
    this.seconds.forEach((s, t) => {
      if (s && s.pauseMs > worstMs) {
        worst = t;
        worstMs = s.pauseMs;
      }
    });
    let majorCount = 0;
    let majorPauseMs = 0;
    const byKind: GcSummary['byKind'] = {};
    for (const [kind, k] of this.kinds) {
      byKind[kind] = { pauses: k.pauses, pauseMs: round2(k.pauseMs) };
      if (kind === 'major') {
        majorCount = k.pauses;
        majorPauseMs = k.pauseMs;
      }
    }
    return {
      totalPauseMs: round2(this.totalMs),
      pausedPercent: measuredMs > 0 ? round2((this.totalMs / measuredMs) * 100) : 0,
      pauses: this.count,
      maxPauseMs: round2(this.maxMs),
      maxPauseKind: this.maxKind,
      majorCount,
      majorPauseMs: round2(majorPauseMs),
      worstSecond: worst,
      worstSecondPauseMs: round2(worstMs),
      byKind,
      longPauses: this.long.map((p) => ({ ...p, pauseMs: round2(p.pauseMs) })),
      longPauseMs: LONG_GC_PAUSE_MS,
    };
  }

  /** `rows` with each second's GC figures attached (`gc` on seconds that had a pause). */
  attachTo<T extends TimeSeriesRow>(rows: readonly T[]): T[] {
    return rows.map((row) => {
      const gc = this.second(row.t);
      return gc ? { ...row, gc } : row;
    });
  }
}
