import { addEncoded, encodeHistogram, newSecondHistogram, type Histogram } from './hdr.js';

/**
 * One latency histogram per second of the run, for one kind of sample (every `request`, or only
 * the agents' requests).
 *
 * Only the current second's histogram is live (2 significant digits, ~14 KB, reused, created on
 * the first sample); when the clock moves on it is frozen into its compressed base64 encoding (a
 * few hundred bytes) plus its p99, so an hour-long run keeps ~1–2 MB, not 50 MB. Encodings add
 * exactly, so shards merge into the same per-second p99 one recorder would have seen.
 */
export class SecondHistograms {
  /** Frozen histograms per second, null for seconds without samples. */
  readonly encoded: (string | null)[] = [];
  private readonly p99Us: (number | null)[] = [];
  private readonly p50Us: (number | null)[] = [];
  private live: Histogram | undefined;
  private liveSecond = -1;
  private liveCount = 0;

  /** Makes room up to and including `second`. */
  ensure(second: number): void {
    while (this.encoded.length <= second) {
      this.encoded.push(null);
      this.p99Us.push(null);
      this.p50Us.push(null);
    }
  }

  record(second: number, us: number): void {
    this.moveTo(second);
    (this.live ??= newSecondHistogram()).recordValue(us);
    this.liveCount++;
  }

  /**
   * Adds the samples of the live second into `other`'s live histogram for the same second (call
   * before `flush()`): a sample recorded here then counts in both per-second series at the cost
   * of one histogram add per second instead of a second record per sample.
   */
  addLiveTo(other: SecondHistograms): void {
    if (this.liveCount === 0 || this.live === undefined) return;
    other.moveTo(this.liveSecond);
    (other.live ??= newSecondHistogram()).add(this.live);
    other.liveCount += this.liveCount;
  }

  private moveTo(second: number): void {
    if (second === this.liveSecond) return;
    this.flush();
    this.ensure(second);
    this.liveSecond = second;
  }

  /** Freezes the live second (if any samples) into its encoding; later samples of the same
   * second are added to the frozen one when they are flushed in turn. */
  flush(): void {
    if (this.liveCount === 0 || this.live === undefined) return;
    const second = this.liveSecond;
    const frozen = this.encoded[second];
    if (frozen) addEncoded(this.live, frozen);
    this.encoded[second] = encodeHistogram(this.live);
    this.p99Us[second] = this.live.getValueAtPercentile(99);
    this.p50Us[second] = this.live.getValueAtPercentile(50);
    this.live.reset();
    this.liveCount = 0;
  }

  /** p99 of `second` in ms, null when it had no samples. Call `flush()` first. */
  p99Ms(second: number): number | null {
    const us = this.p99Us[second];
    return us === null || us === undefined ? null : us / 1000;
  }

  /** p50 of `second` in ms, null when it had no samples. Call `flush()` first. */
  p50Ms(second: number): number | null {
    const us = this.p50Us[second];
    return us === null || us === undefined ? null : us / 1000;
  }

  /** Copy of the frozen encodings (after a flush), for `encode()`. */
  encode(): (string | null)[] {
    this.flush();
    return [...this.encoded];
  }

  /**
   * Adds another recorder's per-second encodings, shifted by `offset` seconds; seconds before
   * our start land in second 0.
   */
  merge(other: readonly (string | null)[], offset: number): void {
    this.flush();
    for (let i = 0; i < other.length; i++) {
      const encoded = other[i];
      if (!encoded) continue;
      const s = Math.max(0, i + offset);
      this.ensure(s);
      const h = newSecondHistogram();
      try {
        const mine = this.encoded[s];
        if (mine) addEncoded(h, mine);
        addEncoded(h, encoded);
        this.encoded[s] = encodeHistogram(h);
        this.p99Us[s] = h.getValueAtPercentile(99);
        this.p50Us[s] = h.getValueAtPercentile(50);
      } finally {
        h.destroy();
      }
    }
  }
}
