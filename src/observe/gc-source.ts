import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import type { GcPauseKind } from '../metrics/summary-types.js';

/** V8's kinds of collection: see `GcPauseKind` (re-exported here for the observe side). */
export type GcKind = GcPauseKind;

export const GC_KINDS: readonly GcKind[] = ['minor', 'major', 'incremental', 'weakcb'];

/** One garbage-collection pause of the harness's JavaScript thread. */
export interface GcPause {
  /** When the pause began, epoch ms. */
  atMs: number;
  /** How long the JavaScript thread was stopped, ms. */
  durationMs: number;
  kind: GcKind;
}

/**
 * Where GC pauses come from. Injectable so tests can feed scripted pauses without provoking a
 * real collection; `nodeGcSource()` is the real one.
 */
export interface GcSource {
  /** Starts delivering pauses to `onPause` (possibly in batches, after the fact). */
  start(onPause: (pause: GcPause) => void): void;
  /** Delivers whatever is still buffered, then stops. Idempotent. */
  stop(): void;
}

function kindOf(code: number | undefined): GcKind {
  switch (code) {
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weakcb';
    default:
      return 'minor';
  }
}

/**
 * The real source: a perf_hooks `PerformanceObserver` on `gc` entries. Node records an entry
 * from V8's GC prologue to its epilogue, i.e. the time the JavaScript thread was stopped; work
 * V8 does concurrently on helper threads is not in it. Entries reach the observer in batches a
 * little after the pause, which is why each carries its own start time.
 */
export function nodeGcSource(): GcSource {
  let observer: PerformanceObserver | undefined;
  let deliver: ((pause: GcPause) => void) | undefined;
  const origin = performance.timeOrigin;
  const forward = (entries: readonly PerformanceEntry[]): void => {
    if (!deliver) return;
    for (const entry of entries) {
      // `detail` is on Node's entries since 16, though @types/node leaves it off PerformanceEntry.
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      deliver({ atMs: origin + entry.startTime, durationMs: entry.duration, kind: kindOf(detail?.kind) });
    }
  };
  return {
    start(onPause) {
      if (observer) return;
      deliver = onPause;
      observer = new PerformanceObserver((list) => forward(list.getEntries()));
      observer.observe({ entryTypes: ['gc'] });
    },
    stop() {
      if (!observer) return;
      // takeRecords() hands over the entries not yet delivered, so the last pauses count.
      forward(observer.takeRecords());
      observer.disconnect();
      observer = undefined;
      deliver = undefined;
    },
  };
}
