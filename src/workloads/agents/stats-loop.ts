import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { AgentApiClient, AgentStats } from '../../client/agent-client.js';
import { METRIC } from '../../metrics/names.js';
import { nsToMs } from '../../protocol/go-duration.js';
import type { MetricSink } from '../../metrics/sink.js';
import { RetryBackoff, type Sleep } from './timing.js';

/** Used when the target answers 200 without a usable interval (coderd's CLI default). */
const FALLBACK_INTERVAL_MS = 600_000;

/** Plausible traffic counters that only grow, at a seeded per-agent rate. */
export class StatsCounters {
  private readonly rxRate: number;
  private readonly txRate: number;
  private readonly conns: number;
  private last: number | undefined;
  private readonly totals = { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 };

  constructor(rng: Rng) {
    this.rxRate = rng.int(200, 20_000); // bytes per second
    this.txRate = rng.int(100, 10_000);
    this.conns = rng.int(1, 3);
  }

  /** The counters at `nowMs` (monotonic ms); never zero, so the target records each report. */
  snapshot(nowMs: number): AgentStats {
    const elapsedS = this.last === undefined ? 1 : Math.max(0.001, (nowMs - this.last) / 1000);
    this.last = nowMs;
    const rx = Math.max(1, Math.round(this.rxRate * elapsedS));
    const tx = Math.max(1, Math.round(this.txRate * elapsedS));
    this.totals.rx_bytes += rx;
    this.totals.tx_bytes += tx;
    this.totals.rx_packets += Math.max(1, Math.round(rx / 1200));
    this.totals.tx_packets += Math.max(1, Math.round(tx / 1200));
    return { conns_by_proto: { tcp: this.conns }, num_comms: this.conns, ...this.totals };
  }
}

export interface StatsLoopContext {
  client: AgentApiClient;
  metrics: MetricSink;
  clock: Clock;
  sleep: Sleep;
  signal: AbortSignal;
  counters: StatsCounters;
  /** Called after each accepted report (per-agent accounting). */
  onAccepted?: () => void;
  /** Called after every answer, accepted or not. */
  onAnswered?: () => void;
}

/**
 * agentsdk.ReportStats (spec §5.7): POST at once, then once per `report_interval` returned by the
 * target (measured from the answer), retrying a failed POST with backoff 100 ms → 1 min. Latency
 * is measured from the intended send time. Resolves when the signal aborts.
 */
export async function runStatsLoop(ctx: StatsLoopContext): Promise<void> {
  const backoff = new RetryBackoff(100, 60_000);
  let intendedAt = ctx.clock.now();
  while (!ctx.signal.aborted) {
    const result = await ctx.client.reportStats(ctx.counters.snapshot(ctx.clock.now()), { intendedAt, signal: ctx.signal });
    if (result.errorClass === 'aborted' || ctx.signal.aborted) return;
    ctx.onAnswered?.();
    let waitMs: number;
    if (result.ok) {
      backoff.reset();
      ctx.metrics.count(METRIC.statsReported, 1);
      ctx.onAccepted?.();
      const ns = result.body?.report_interval;
      // report_interval is a Go time.Duration in ns (spec §5.7).
      waitMs = typeof ns === 'number' && ns > 0 ? nsToMs(ns) : FALLBACK_INTERVAL_MS;
    } else {
      waitMs = backoff.next();
    }
    intendedAt = ctx.clock.now() + waitMs;
    if (!(await ctx.sleep(waitMs, ctx.signal))) return;
  }
}
