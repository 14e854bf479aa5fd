import type { EncodedSecondErrors, ErrorCount } from './recorder-types.js';

/**
 * Per-second error counts by endpoint × class, so a report can say which errors a fault caused
 * (the run-wide counters cannot be cut to a window).
 *
 * Storage stays small on the hot path: each distinct endpoint × class pair gets a small integer
 * (the recorder caches it per counter series, so a sample costs one Map get), and a second with
 * errors holds one short number array indexed by it; seconds without errors hold null.
 */
export class SecondErrors {
  /** Distinct endpoint × class pairs, in order of first appearance. */
  readonly kinds: { endpoint: string; class: string }[] = [];
  private readonly kindIndex = new Map<string, number>();
  private readonly counts: (number[] | null)[] = [];

  /** The index of an endpoint × class pair (created on first use). */
  kindOf(endpoint: string, cls: string): number {
    const key = `${endpoint}\u0000${cls}`;
    let index = this.kindIndex.get(key);
    if (index === undefined) {
      index = this.kinds.length;
      this.kinds.push({ endpoint, class: cls });
      this.kindIndex.set(key, index);
    }
    return index;
  }

  ensure(second: number): void {
    while (this.counts.length <= second) this.counts.push(null);
  }

  add(second: number, kind: number, n: number): void {
    this.ensure(second);
    let row = this.counts[second];
    if (!row) this.counts[second] = row = [];
    while (row.length <= kind) row.push(0);
    row[kind]! += n;
  }

  /** Errors of one second, most frequent first (empty when none). */
  rows(second: number): ErrorCount[] {
    const row = this.counts[second];
    if (!row) return [];
    const out: ErrorCount[] = [];
    row.forEach((count, kind) => {
      if (count !== 0) out.push({ ...this.kinds[kind]!, count });
    });
    return out.sort((a, b) => b.count - a.count);
  }

  encode(): EncodedSecondErrors {
    return { kinds: this.kinds.map((k) => ({ ...k })), counts: this.counts.map((row) => (row ? [...row] : null)) };
  }

  /** Adds another recorder's errors shifted by `offset` seconds (seconds before our start land in second 0). */
  merge(other: EncodedSecondErrors, offset: number): void {
    const remap = other.kinds.map((k) => this.kindOf(k.endpoint, k.class));
    other.counts.forEach((row, i) => {
      if (!row) return;
      const s = Math.max(0, i + offset);
      row.forEach((count, kind) => {
        if (count !== 0) this.add(s, remap[kind]!, count);
      });
    });
  }
}
