/**
 * The arithmetic of `bench:proxy`'s fixed-rate legs (docs/benchmarks.md#benchproxy), kept apart
 * from the sockets so it can be tested: when an open-loop sender is due to send, percentiles of
 * the recorded latencies, and the verdict that compares direct with proxied at the same offered
 * rate (achieved ratio, latency the proxy adds, proxy CPU per unit of work).
 */

/** Longest catch-up burst, as a share of a second's sends, after the sender's loop stalled. */
const MAX_BURST_SHARE = 0.05;

/**
 * An open-loop send schedule: `rate` sends a second from `startMs`, whatever the answers do.
 * `due(now)` says how many sends are owed now. A stalled loop catches up, but in bursts of at
 * most 5 % of a second's sends, so one long stall does not turn into a flood that measures the
 * stall instead of the path.
 */
export class FixedRateSchedule {
  private sent = 0;

  constructor(
    readonly rate: number,
    private readonly startMs: number,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive finite number, got ${rate}`);
  }

  /** Sends owed at `nowMs`; counts them as sent. */
  due(nowMs: number): number {
    const owed = Math.floor(((nowMs - this.startMs) * this.rate) / 1000) - this.sent;
    if (owed <= 0) return 0;
    const n = Math.min(owed, Math.max(1, Math.ceil(this.rate * MAX_BURST_SHARE)));
    this.sent += n;
    return n;
  }

  /** Sends handed out so far. */
  get total(): number {
    return this.sent;
  }
}

/** The `p`-th percentile (0–100, nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** One fixed-rate turn: what was offered and what came back. */
export interface FixedTurn {
  /** Requests or messages sent. */
  sent: number;
  /** Answers received (responses, echoes). */
  done: number;
  /** Turn length, s (send window). */
  seconds: number;
  /** Latency of every answer, ms (send to answer). */
  latenciesMs: number[];
  /** Proxy process CPU during the turn, µs (0 for direct or when unknown). */
  proxyCpuUs: number;
}

/** Direct vs proxied at the same offered rate. */
export interface FixedVerdict {
  /** Offered rate, per second. */
  rate: number;
  /** Achieved answers per second, each side (all turns pooled). */
  directPerSecond: number;
  proxiedPerSecond: number;
  /** proxied / direct achieved rate, 3 decimals. */
  ratio: number;
  /** Latency percentiles per side, ms (3 decimals), and what the proxy adds (proxied − direct). */
  p50: { direct: number; proxied: number; added: number };
  p99: { direct: number; proxied: number; added: number };
  /** Proxy CPU per proxied answer, µs (2 decimals); NaN when no CPU was measured. */
  proxyCpuUsPerUnit: number;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Pools each side's turns (A-B-B-A gives two each) and compares them. */
export function fixedVerdict(rate: number, direct: readonly FixedTurn[], proxied: readonly FixedTurn[]): FixedVerdict {
  const pool = (turns: readonly FixedTurn[]) => {
    const latencies = Float64Array.from(turns.flatMap((t) => t.latenciesMs)).sort();
    const seconds = turns.reduce((s, t) => s + t.seconds, 0);
    const done = turns.reduce((s, t) => s + t.done, 0);
    const cpu = turns.reduce((s, t) => s + t.proxyCpuUs, 0);
    return { latencies, perSecond: seconds > 0 ? done / seconds : 0, done, cpu };
  };
  const d = pool(direct);
  const p = pool(proxied);
  const pct = (q: number) => {
    const dv = percentile(d.latencies, q);
    const pv = percentile(p.latencies, q);
    return { direct: round(dv, 3), proxied: round(pv, 3), added: round(pv - dv, 3) };
  };
  return {
    rate,
    directPerSecond: Math.round(d.perSecond),
    proxiedPerSecond: Math.round(p.perSecond),
    ratio: d.perSecond > 0 ? round(p.perSecond / d.perSecond, 3) : 0,
    p50: pct(50),
    p99: pct(99),
    proxyCpuUsPerUnit: p.done > 0 && p.cpu > 0 ? round(p.cpu / p.done, 2) : Number.NaN,
  };
}

/** The fixed rate for a leg: `share` of the direct closed-loop throughput, rounded to 10/s, at least 10/s. */
export function fixedRate(directMax: number, share: number): number {
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
  return Math.max(10, Math.round((directMax * share) / 10) * 10);
}

/**
 * Proxy CPU ÷ bare-relay CPU per unit at the same rate (2 decimals): 1.0 means the idle proxy
 * costs what relaying bytes through Node costs at all. NaN when either side is unknown.
 */
export function cpuVsRelay(proxyUs: number, relayUs: number): number {
  return proxyUs > 0 && relayUs > 0 ? round(proxyUs / relayUs, 2) : Number.NaN;
}
