import type { Tags } from './sink.js';

/**
 * The key of a tag set: sorted `key\u0001value` pairs joined by `\u0002` ('' for no tags), so
 * `{a, b}` and `{b, a}` are one series and values containing `=` or `,` cannot collide.
 *
 * Keys of the last few tag objects are remembered by identity in a tiny ring, so a workload that
 * hoists its tag objects (`const TAGS = { endpoint: ENDPOINT.reportStats }`) skips the key
 * computation. A WeakMap was measured slower here: setting an entry for every fresh literal
 * object cost ~1 µs per sample, against ~0.1 µs to recompute the key. Tag objects must not be
 * mutated after their first use.
 */
const RING = 16;
const ringTags: (object | undefined)[] = new Array<object | undefined>(RING).fill(undefined);
const ringKeys: string[] = new Array<string>(RING).fill('');
let ringNext = 0;
// Reused scratch space: sorting keys allocates nothing per call.
const scratch: string[] = [];

export function seriesKey(tags: Tags | undefined): string {
  if (tags === undefined || tags === null) return '';
  for (let i = 0; i < RING; i++) if (ringTags[i] === tags) return ringKeys[i]!;
  const key = computeKey(tags);
  ringTags[ringNext] = tags;
  ringKeys[ringNext] = key;
  ringNext = (ringNext + 1) % RING;
  return key;
}

function computeKey(tags: Tags): string {
  let n = 0;
  for (const k in tags) scratch[n++] = k;
  if (n === 0) return '';
  if (n === 1) return scratch[0]! + '\u0001' + tags[scratch[0]!];
  // Insertion sort: tag sets are tiny.
  for (let i = 1; i < n; i++) {
    const k = scratch[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! > k) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = k;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += (i === 0 ? '' : '\u0002') + scratch[i]! + '\u0001' + tags[scratch[i]!];
  return out;
}
