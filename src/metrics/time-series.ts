import type { EncodedSeconds, ErrorCount, TimeSeriesPoint } from './recorder-types.js';
import { SecondErrors } from './second-errors.js';
import { SecondHistograms } from './second-histograms.js';

/** The per-second latency of one endpoint, and whether it is an agent-side one (`isAgentEndpoint`). */
export interface EndpointSeconds {
  readonly histograms: SecondHistograms;
  readonly agent: boolean;
}

/**
 * Per-second buckets of a run: requests, errors (total and by endpoint × class), delivered
 * coordinator updates, reconnects, connected agents, and the p99 of request latency (all
 * requests, and the agents' own requests for recovery metrics), and p50/p99 per endpoint.
 *
 * Why per-second histograms and not a reservoir: a reservoir's p99 cannot be merged exactly
 * across shards, a histogram can (see SecondHistograms for the memory budget). Everything here
 * is a per-second aggregate: recording a sample allocates nothing except when a new second or a
 * new error kind starts.
 */
export class SecondBuckets {
  readonly requests: number[] = [];
  readonly errors: number[] = [];
  readonly delivered: number[] = [];
  readonly reconnects: number[] = [];
  /** Value set during that second, null when unchanged (readers carry the previous value). */
  readonly connected: (number | null)[] = [];
  /** Every `request` sample. Agent samples reach it through `agentLatency` when a second is
   * flushed, so each sample is recorded into one per-second histogram, not two. */
  readonly latency = new SecondHistograms();
  /** Only the agents' own requests (agent-side endpoints). */
  readonly agentLatency = new SecondHistograms();
  /** One series per endpoint (the `endpoint` tag of `request`): every sample is recorded here
   * only, and joins `agentLatency` or `latency` when its second is flushed (one histogram add
   * per endpoint and second instead of a second record per sample). */
  readonly byEndpoint = new Map<string, EndpointSeconds>();
  private liveSecond = -1;
  readonly errorsBy = new SecondErrors();

  /** The per-second series of one endpoint (created on first use); callers cache it per series. */
  endpoint(name: string, agent: boolean): EndpointSeconds {
    let e = this.byEndpoint.get(name);
    if (e === undefined) {
      e = { histograms: new SecondHistograms(), agent };
      this.byEndpoint.set(name, e);
    }
    return e;
  }

  get length(): number {
    return this.requests.length;
  }

  /** Makes room up to and including `second`. */
  ensure(second: number): void {
    if (this.requests.length > second) return;
    while (this.requests.length <= second) {
      this.requests.push(0);
      this.errors.push(0);
      this.delivered.push(0);
      this.reconnects.push(0);
      this.connected.push(null);
    }
    this.latency.ensure(second);
    this.agentLatency.ensure(second);
    this.errorsBy.ensure(second);
  }

  request(second: number, us: number, endpoint: EndpointSeconds): void {
    this.ensure(second);
    this.requests[second]! += 1;
    if (second !== this.liveSecond) {
      // Every live histogram must move on together (see flush).
      this.flush();
      this.liveSecond = second;
    }
    endpoint.histograms.record(second, us);
  }

  /** `kind` from `errorsBy.kindOf(endpoint, class)`. */
  error(second: number, n: number, kind: number): void {
    this.ensure(second);
    this.errors[second]! += n;
    this.errorsBy.add(second, kind, n);
  }

  deliver(second: number, n: number): void {
    this.ensure(second);
    this.delivered[second]! += n;
  }

  reconnect(second: number, n: number): void {
    this.ensure(second);
    this.reconnects[second]! += n;
  }

  setConnected(second: number, total: number): void {
    this.ensure(second);
    this.connected[second] = total;
  }

  /** Freezes the live second of every histogram series: endpoint samples join the agent or the
   * all-requests series, agent samples then join the all-requests one. */
  flush(): void {
    for (const e of this.byEndpoint.values()) {
      e.histograms.addLiveTo(e.agent ? this.agentLatency : this.latency);
      e.histograms.flush();
    }
    this.agentLatency.addLiveTo(this.latency);
    this.agentLatency.flush();
    this.latency.flush();
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
      out.push({
        t,
        requests: this.requests[t] ?? 0,
        errors: this.errors[t] ?? 0,
        connected: connected[t]!,
        p99Ms: this.latency.p99Ms(t),
        delivered: this.delivered[t] ?? 0,
        agentP99Ms: this.agentLatency.p99Ms(t),
        reconnects: this.reconnects[t] ?? 0,
      });
    }
    return out;
  }

  /** p50 and p99 per second of every endpoint, ms (null for seconds without samples). */
  endpointPoints(length: number): Map<string, { p50Ms: (number | null)[]; p99Ms: (number | null)[] }> {
    this.flush();
    const out = new Map<string, { p50Ms: (number | null)[]; p99Ms: (number | null)[] }>();
    for (const [name, e] of this.byEndpoint) {
      const h = e.histograms;
      out.set(name, { p50Ms: Array.from({ length }, (_, t) => h.p50Ms(t)), p99Ms: Array.from({ length }, (_, t) => h.p99Ms(t)) });
    }
    return out;
  }

  errorRows(length: number): ErrorCount[][] {
    return Array.from({ length }, (_, t) => this.errorsBy.rows(t));
  }

  encode(): EncodedSeconds {
    this.flush();
    return {
      requests: [...this.requests],
      errors: [...this.errors],
      delivered: [...this.delivered],
      connected: [...this.connected],
      latency: this.latency.encode(),
      agentLatency: this.agentLatency.encode(),
      reconnects: [...this.reconnects],
      errorsBy: this.errorsBy.encode(),
      endpointLatency: Object.fromEntries([...this.byEndpoint].map(([name, e]) => [name, { agent: e.agent, latency: e.histograms.encode() }])),
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
      this.reconnects[s]! += other.reconnects?.[i] ?? 0;
    }
    this.latency.merge(other.latency, offset);
    if (other.agentLatency) this.agentLatency.merge(other.agentLatency, offset);
    if (other.errorsBy) this.errorsBy.merge(other.errorsBy, offset);
    // Their samples are already in `other.latency`: merge each endpoint's own series only.
    for (const [name, e] of Object.entries(other.endpointLatency ?? {})) this.endpoint(name, e.agent).histograms.merge(e.latency, offset);
  }
}
