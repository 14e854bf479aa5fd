import { addEncoded, encodeHistogram, newSecondHistogram, type Histogram } from './hdr.js';
import type { EncodedSeconds, TimeSeriesPoint } from './recorder-types.js';

/**
 * Per-second buckets of a run: requests, errors, delivered coordinator updates, connected agents
 * and the p99 of request latency.
 *
 * Why per-second histograms and not a reservoir: a reservoir's p99 cannot be merged exactly
 * across shards, a histogram can. Only the current second's histogram is live (2 significant
 * digits, ~14 KB, reused); when the clock moves on, it is frozen into its compressed base64
 * encoding (a few hundred bytes) plus its p99, so an hour-long run keeps ~1–2 MB, not 50 MB.
 */
export class SecondBuckets {
  readonly requests: number[] = [];
  readonly errors: number[] = [];
  readonly delivered: number[] = [];
  /** Value set during that second, null when unchanged (readers carry the previous value). */
  readonly connected: (number | null)[] = [];
  /** Frozen latency histograms per second. */
  readonly latency: (string | null)[] = [];
  private readonly p99Us: (number | null)[] = [];
  private readonly live: Histogram = newSecondHistogram();
  private liveSecond = -1;
  private liveCount = 0;

  get length(): number {
    return this.requests.length;
  }

  /** Makes room up to and including `second`. */
  ensure(second: number): void {
    while (this.requests.length <= second) {
      this.requests.push(0);
      this.errors.push(0);
      this.delivered.push(0);
      this.connected.push(null);
      this.latency.push(null);
      this.p99Us.push(null);
    }
  }

  request(second: number, us: number): void {
    this.ensure(second);
    this.requests[second]! += 1;
    if (second !== this.liveSecond) {
      this.flush();
      this.liveSecond = second;
    }
    this.live.recordValue(us);
    this.liveCount++;
  }

  error(second: number, n: number): void {
    this.ensure(second);
    this.errors[second]! += n;
  }

  deliver(second: number, n: number): void {
    this.ensure(second);
    this.delivered[second]! += n;
  }

  setConnected(second: number, total: number): void {
    this.ensure(second);
    this.connected[second] = total;
  }

  /** Freezes the live second (if any samples) into its encoding; later samples of the same
   * second are added to the frozen one when they are flushed in turn. */
  flush(): void {
    if (this.liveCount === 0) return;
    const second = this.liveSecond;
    const frozen = this.latency[second];
    if (frozen) addEncoded(this.live, frozen);
    this.latency[second] = encodeHistogram(this.live);
    this.p99Us[second] = this.live.getValueAtPercentile(99);
    this.live.reset();
    this.liveCount = 0;
  }

  /** Connected value at every second from 0 to `length - 1`, carried forward. */
  private filledConnected(length: number): number[] {
    const out: number[] = new Array<number>(length);
    let last = 0;
    for (let i = 0; i < length; i++) {
      const v = this.connected[i];
      if (v !== null && v !== undefined) last = v;
      out[i] = last;
    }
    return out;
  }

  points(length: number): TimeSeriesPoint[] {
    this.flush();
    const connected = this.filledConnected(length);
    const out: TimeSeriesPoint[] = [];
    for (let t = 0; t < length; t++) {
      const p99 = this.p99Us[t];
      out.push({
        t,
        requests: this.requests[t] ?? 0,
        errors: this.errors[t] ?? 0,
        connected: connected[t]!,
        p99Ms: p99 === null || p99 === undefined ? null : p99 / 1000,
        delivered: this.delivered[t] ?? 0,
      });
    }
    return out;
  }

  encode(): EncodedSeconds {
    this.flush();
    return {
      requests: [...this.requests],
      errors: [...this.errors],
      delivered: [...this.delivered],
      connected: [...this.connected],
      latency: [...this.latency],
    };
  }

  /**
   * Adds another recorder's seconds, shifted by `offset` seconds (its start minus ours).
   * Seconds before our start land in second 0. Connected values are summed after carrying
   * each side forward (shards own disjoint agents).
   */
  merge(other: EncodedSeconds, offset: number): void {
    this.flush();
    const otherLength = other.requests.length;
    const end = Math.max(this.length, otherLength + offset);
    const mine = this.filledConnected(end);
    const theirs: number[] = new Array<number>(end).fill(0);
    let last = 0;
    for (let s = 0; s < end; s++) {
      const i = s - offset;
      // Values from before our start collapse into second 0.
      if (s === 0) for (let j = 0; j <= Math.min(i, otherLength - 1); j++) last = other.connected[j] ?? last;
      else if (i >= 0 && i < otherLength) last = other.connected[i] ?? last;
      theirs[s] = last;
    }
    this.ensure(end - 1);
    const anyConnected = other.connected.some((v) => v !== null) || this.connected.some((v) => v !== null);
    if (anyConnected) for (let s = 0; s < end; s++) this.connected[s] = mine[s]! + theirs[s]!;

    for (let i = 0; i < otherLength; i++) {
      const s = Math.max(0, i + offset);
      this.requests[s]! += other.requests[i] ?? 0;
      this.errors[s]! += other.errors[i] ?? 0;
      this.delivered[s]! += other.delivered[i] ?? 0;
      const encoded = other.latency[i];
      if (!encoded) continue;
      const h = newSecondHistogram();
      try {
        const mineEncoded = this.latency[s];
        if (mineEncoded) addEncoded(h, mineEncoded);
        addEncoded(h, encoded);
        this.latency[s] = encodeHistogram(h);
        this.p99Us[s] = h.getValueAtPercentile(99);
      } finally {
        h.destroy();
      }
    }
  }
}
