import type { GcPause, GcSource } from '../../src/observe/gc-source.js';
import type { DelayStats, GeneratorProbe, ProbeWindow } from '../../src/observe/generator-probe.js';

export interface FakeWindow {
  p99Ms?: number;
  cpuPercent?: number;
  elapsedMs?: number;
}

/**
 * A scripted harness: each `takeWindow()` returns the next scripted window (the last one repeats),
 * so tests can make a calm or a lagging harness without busy loops.
 */
export function fakeProbe(
  script: readonly FakeWindow[],
  overall: DelayStats = { p50: 1, p99: 2, max: 3 },
): GeneratorProbe & { started: boolean; stopped: boolean; taken: number } {
  const windows = script.length > 0 ? script : [{}];
  const probe = {
    started: false,
    stopped: false,
    taken: 0,
    start() {
      probe.started = true;
    },
    takeWindow(): ProbeWindow {
      const w = windows[Math.min(probe.taken, windows.length - 1)]!;
      probe.taken++;
      const elapsedMs = w.elapsedMs ?? 1000;
      const p99 = w.p99Ms ?? 1;
      return {
        elapsedMs,
        cpuMs: ((w.cpuPercent ?? 10) / 100) * elapsedMs,
        rssBytes: 100_000_000,
        eventLoopDelayMs: { p50: p99 / 2, p99, max: p99 * 1.5 },
      };
    },
    overall: () => overall,
    stop() {
      probe.stopped = true;
    },
  };
  return probe;
}

/** A harness whose event loop lags 200 ms p99 in every window. */
export const laggingProbe = () => fakeProbe([{ p99Ms: 200, cpuPercent: 99 }], { p50: 120, p99: 210, max: 400 });

/** A harness that is comfortably idle. */
export const calmProbe = () => fakeProbe([{ p99Ms: 2, cpuPercent: 20 }]);

/**
 * A scripted GC source: `emit()` delivers a pause as the observer would; `buffer()` holds one
 * back until `stop()`, like entries the real observer has not delivered yet.
 */
export function fakeGcSource(): GcSource & { emit(pause: GcPause): void; buffer(pause: GcPause): void; started: boolean; stopped: boolean } {
  let deliver: ((pause: GcPause) => void) | undefined;
  const held: GcPause[] = [];
  const source = {
    started: false,
    stopped: false,
    start(onPause: (pause: GcPause) => void) {
      source.started = true;
      deliver = onPause;
    },
    stop() {
      if (source.stopped) return;
      source.stopped = true;
      for (const pause of held.splice(0)) deliver?.(pause);
      deliver = undefined;
    },
    emit(pause: GcPause) {
      deliver?.(pause);
    },
    buffer(pause: GcPause) {
      held.push(pause);
    },
  };
  return source;
}
