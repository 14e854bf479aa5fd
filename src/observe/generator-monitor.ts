import type { GeneratorPerSecond, GeneratorSummary } from '../metrics/summary-types.js';
import { GcSeconds } from './gc-seconds.js';
import type { GcKind, GcPause } from './gc-source.js';
import { nodeProbe, type DelayStats, type GeneratorProbe, type ProbeWindow } from './generator-probe.js';
import { isSaturatedSecond, saturationVerdict } from './saturation.js';

/** One sampled second of the harness. */
export interface GeneratorSecond {
  /** Index of the sample (0 = first second of the run). */
  index: number;
  elapsedMs: number;
  eventLoopDelayMs: DelayStats;
  /** Process CPU in % of one core. */
  cpuPercent: number;
  cpuSeconds: number;
  rssBytes: number;
  saturated: boolean;
  /** GC pauses delivered during this window (0 when the probe does not observe GC). Entries
   * arrive a little after the pause, so one at a window's end may count in the next. */
  gcPauseMs: number;
  gcMaxPauseMs: number;
}

/** Running totals, for `/metrics` (counters must only go up). */
export interface GeneratorTotals {
  sampledSeconds: number;
  saturatedSeconds: number;
  cpuSeconds: number;
  /** GC pause time (ms) and pauses since the run started, by kind (empty without GC observation). */
  gcPauseMsByKind: Partial<Record<GcKind, number>>;
  gcPausesByKind: Partial<Record<GcKind, number>>;
}

export interface GeneratorMonitor {
  /** Closes the current window now and folds it in (the interval timer calls this). */
  sample(): GeneratorSecond;
  /** The last sampled second, or undefined before the first one. */
  latest(): GeneratorSecond | undefined;
  totals(): GeneratorTotals;
  /** The run's GC pauses by second from `originMs`; undefined when the probe does not observe GC. */
  gcSeconds(): GcSeconds | undefined;
  /**
   * Stops sampling and returns the run's figures. A last partial window counts when it lasted at
   * least half the interval (shorter ones say little about CPU). Idempotent.
   */
  stop(): GeneratorSummary;
}

export interface GeneratorMonitorOptions {
  /** Default: `nodeProbe()`. */
  probe?: GeneratorProbe;
  /** Sampling interval, ms (default 1000). 0 starts no timer: the caller drives `sample()`. */
  intervalMs?: number;
  /** Called after each sampled second (e.g. to log a saturated second once). */
  onSecond?: (second: GeneratorSecond) => void;
  /** Seconds since the run's second 0: with it the summary keeps every sampled second
   * (`perSecond`) placed on the run's time axis. */
  runSeconds?: () => number;
  /** Second 0 of the GC series, epoch ms (default: now). The runner passes the recorder's start
   * so GC seconds line up with the time series. */
  originMs?: number;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const roundDelay = (d: DelayStats): DelayStats => ({ p50: round2(d.p50), p99: round2(d.p99), max: round2(d.max) });

/**
 * Samples the harness's event-loop delay and CPU once per interval for the length of a run, and
 * turns them into the summary's `generator` section with the saturation verdict.
 */
export function startGeneratorMonitor(options: GeneratorMonitorOptions = {}): GeneratorMonitor {
  const probe = options.probe ?? nodeProbe();
  const intervalMs = options.intervalMs ?? 1000;
  let index = 0;
  let latest: GeneratorSecond | undefined;
  let saturatedSeconds = 0;
  let cpuPercentSum = 0;
  let cpuPercentMax = 0;
  let cpuSeconds = 0;
  let maxRss = 0;
  let measuredMs = 0;
  let done: GeneratorSummary | undefined;
  const runSeconds = options.runSeconds;
  const perSecond: GeneratorPerSecond | undefined = runSeconds ? { atS: [], eventLoopP99Ms: [], cpuPercent: [], saturated: [] } : undefined;
  const gc = probe.gc ? new GcSeconds(options.originMs ?? Date.now()) : undefined;
  const gcMsByKind: Partial<Record<GcKind, number>> = {};
  const gcCountByKind: Partial<Record<GcKind, number>> = {};
  let windowGcMs = 0;
  let windowGcMax = 0;
  const onPause = (pause: GcPause): void => {
    if (done) return;
    gc?.add(pause);
    gcMsByKind[pause.kind] = (gcMsByKind[pause.kind] ?? 0) + pause.durationMs;
    gcCountByKind[pause.kind] = (gcCountByKind[pause.kind] ?? 0) + 1;
    windowGcMs += pause.durationMs;
    windowGcMax = Math.max(windowGcMax, pause.durationMs);
  };

  const account = (w: ProbeWindow): GeneratorSecond => {
    const cpuPercent = w.elapsedMs > 0 ? (w.cpuMs / w.elapsedMs) * 100 : 0;
    const partial = { eventLoopDelayMs: w.eventLoopDelayMs, cpuPercent };
    const second: GeneratorSecond = {
      index: index++,
      elapsedMs: w.elapsedMs,
      eventLoopDelayMs: w.eventLoopDelayMs,
      cpuPercent,
      cpuSeconds: w.cpuMs / 1000,
      rssBytes: w.rssBytes,
      saturated: isSaturatedSecond(partial),
      gcPauseMs: round2(windowGcMs),
      gcMaxPauseMs: round2(windowGcMax),
    };
    windowGcMs = 0;
    windowGcMax = 0;
    measuredMs += w.elapsedMs;
    if (second.saturated) saturatedSeconds++;
    cpuPercentSum += cpuPercent;
    cpuPercentMax = Math.max(cpuPercentMax, cpuPercent);
    cpuSeconds += second.cpuSeconds;
    maxRss = Math.max(maxRss, w.rssBytes);
    if (perSecond && runSeconds) {
      perSecond.atS.push(Math.round(runSeconds() * 10) / 10);
      perSecond.eventLoopP99Ms.push(round2(w.eventLoopDelayMs.p99));
      perSecond.cpuPercent.push(Math.round(cpuPercent));
      perSecond.saturated.push(second.saturated);
    }
    latest = second;
    return second;
  };
  const fold = (): GeneratorSecond => {
    const second = account(probe.takeWindow());
    options.onSecond?.(second);
    return second;
  };

  probe.start();
  probe.gc?.start(onPause);
  const timer = intervalMs > 0 ? setInterval(fold, intervalMs) : undefined;
  timer?.unref();

  return {
    sample: fold,
    latest: () => latest,
    totals: () => ({
      sampledSeconds: index,
      saturatedSeconds,
      cpuSeconds,
      gcPauseMsByKind: { ...gcMsByKind },
      gcPausesByKind: { ...gcCountByKind },
    }),
    gcSeconds: () => gc,
    stop() {
      if (done) return done;
      clearInterval(timer);
      // Pauses still buffered in the observer belong to the run: deliver them before the tail.
      probe.gc?.stop();
      // The tail since the last tick: fold it in only when it is long enough to mean something.
      const tail = probe.takeWindow();
      if (tail.elapsedMs >= (intervalMs > 0 ? intervalMs : 1000) / 2) account(tail);
      const overall = probe.overall();
      probe.stop();
      done = {
        eventLoopDelayMs: roundDelay(overall),
        cpuPercent: { mean: index > 0 ? round2(cpuPercentSum / index) : 0, max: round2(cpuPercentMax) },
        maxRssBytes: maxRss,
        seconds: index,
        saturatedSeconds,
        verdict: saturationVerdict(saturatedSeconds, index),
        ...(perSecond ? { perSecond } : {}),
        ...(gc ? { gc: gc.summary(measuredMs) } : {}),
      };
      return done;
    },
  };
}
