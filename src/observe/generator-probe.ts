import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { nodeGcSource, type GcSource } from './gc-source.js';

/** Event-loop delay figures in ms. */
export interface DelayStats {
  p50: number;
  p99: number;
  max: number;
}

/** What the harness process did during one window (about one second). */
export interface ProbeWindow {
  /** Wall-clock length of the window, ms. */
  elapsedMs: number;
  /** Process CPU time (user + system) used in the window, ms. */
  cpuMs: number;
  /** Resident set size at the end of the window, bytes. */
  rssBytes: number;
  /** Event-loop delay within the window. */
  eventLoopDelayMs: DelayStats;
}

/**
 * Reads the harness's own load. Injectable so tests can script a lagging or calm harness
 * without busy loops; `nodeProbe()` is the real one.
 */
export interface GeneratorProbe {
  /** Starts measuring; the first window begins now. */
  start(): void;
  /** Ends the current window, returns its figures and starts the next one. */
  takeWindow(): ProbeWindow;
  /** Event-loop delay over everything since `start()`. */
  overall(): DelayStats;
  /** Stops measuring and releases timers. Idempotent. */
  stop(): void;
  /** The harness's GC pauses; absent when the probe does not observe GC (the summary then has
   * no `generator.gc`). The monitor starts and stops it. */
  gc?: GcSource;
}

const NS_PER_MS = 1e6;

/**
 * The real probe: perf_hooks `monitorEventLoopDelay` (a libuv timer in native code, so measuring
 * adds no JavaScript work) and `process.cpuUsage()`.
 *
 * The histogram records the time between two ticks of its `resolutionMs` timer, so an idle loop
 * reads about `resolutionMs`; we report the lateness beyond it (idle ≈ 0 ms). Two histograms run
 * side by side: one reset per window and one for the whole run, because resetting drops the tick
 * that spans the reset (a stall at that instant is then only in the run-wide figures).
 *
 * `process.cpuUsage()` covers the whole process (GC helper threads and libuv's thread pool
 * included), so a window can exceed 100 % of one core; the JavaScript thread itself cannot.
 *
 * GC pauses come from `nodeGcSource()` (a PerformanceObserver on `gc` entries).
 */
export function nodeProbe(options: { resolutionMs?: number } = {}): GeneratorProbe {
  const resolutionMs = options.resolutionMs ?? 10;
  let window: IntervalHistogram | undefined;
  let whole: IntervalHistogram | undefined;
  let startedAt = 0;
  let cpuAt: NodeJS.CpuUsage = { user: 0, system: 0 };

  const stats = (h: IntervalHistogram | undefined): DelayStats => {
    if (!h || h.count === 0) return { p50: 0, p99: 0, max: 0 };
    const late = (ns: number) => Math.max(0, ns / NS_PER_MS - resolutionMs);
    return { p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max) };
  };

  return {
    gc: nodeGcSource(),
    start() {
      window = monitorEventLoopDelay({ resolution: resolutionMs });
      whole = monitorEventLoopDelay({ resolution: resolutionMs });
      window.enable();
      whole.enable();
      startedAt = performance.now();
      cpuAt = process.cpuUsage();
    },
    takeWindow() {
      const now = performance.now();
      const cpu = process.cpuUsage(cpuAt);
      cpuAt = process.cpuUsage();
      const result: ProbeWindow = {
        elapsedMs: now - startedAt,
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssBytes: process.memoryUsage.rss(),
        eventLoopDelayMs: stats(window),
      };
      window?.reset();
      startedAt = now;
      return result;
    },
    overall: () => stats(whole),
    stop() {
      window?.disable();
      whole?.disable();
    },
  };
}
