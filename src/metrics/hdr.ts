/**
 * The one place that builds HDR histograms, so every histogram in a run (and in every shard
 * that is merged into it) has the same layout — `add()` is only exact between equal layouts.
 *
 * Values are whole microseconds: a sample of `ms` milliseconds is recorded as
 * `Math.round(ms * 1000)`, so 0.25 ms stays 250 µs instead of rounding to 0 ms. The trackable
 * range is 1 µs .. 1 h with 3 significant digits (≤ 0.1 % relative error). We use the plain JS
 * implementation: the WASM one must be initialised asynchronously and its memory is not freed
 * by the GC, which a long-lived recorder with many series cannot afford.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** Highest recordable value: one hour in µs. Larger samples are clamped to it. */
export const MAX_US = 3_600_000_000;

/** Full-precision histogram used for every trend series. */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 3,
  });
}

/**
 * Coarser histogram for one second of the `request` time series: 2 significant digits (≤ 1 %
 * error) is plenty for a chart and keeps a finished second's encoding to a few hundred bytes.
 */
export function newSecondHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 2,
  });
}

/** Milliseconds → whole µs, clamped into the trackable range (NaN and negatives become 0). */
export function msToUs(ms: number): number {
  if (!(ms > 0)) return 0;
  const us = Math.round(ms * 1000);
  return Math.min(us, MAX_US);
}

/** Compressed base64 (the HdrHistogram V2 format, readable by other HDR implementations). */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Decodes and adds into `into` (same layout); throws on a malformed string. */
export function addEncoded(into: Histogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  try {
    into.add(decoded);
  } finally {
    decoded.destroy();
  }
}
