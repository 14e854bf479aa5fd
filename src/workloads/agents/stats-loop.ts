import { Backoff } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { AgentApiClient, AgentStats, StatsResponse } from '../../client/agent-client.js';
import type { ApiResult } from '../../client/http.js';
import { METRIC } from '../../metrics/names.js';
import { nsToMs } from '../../protocol/go-duration.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { ScheduledTask, Scheduler } from './timer-heap.js';
import type { StopSignal } from '../../client/stop-signal.js';

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

/** What a {@link StatsReporter} tells its agent. */
export interface StatsHost {
  /** After every answer, accepted or not (not after a cancelled request). */
  statsAnswered(): void;
  /** After each accepted report (per-agent accounting). */
  statsAccepted(): void;
  /** The reporter stopped by itself (its signal aborted). */
  statsEnded?(): void;
}

/**
 * agentsdk.ReportStats (protocol §5.7): POST at once, then once per `report_interval` returned by
 * the target (measured from the answer), retrying a failed POST with backoff 100 ms → 1 min.
 * Latency is measured from the intended send time.
 *
 * A plain object driven by a {@link Scheduler} rather than an async loop: while it waits (ten
 * minutes by default) an agent holds no promise, closure or timer of its own for it.
 */
export class StatsReporter implements ScheduledTask {
  dueAt = 0;
  slot = -1;
  /** The POST in flight, if any (awaited when the agent stops). */
  inFlight: Promise<void> | undefined;
  private intendedAt = 0;
  private readonly backoff = new Backoff(100, 60_000);

  constructor(
    private readonly client: AgentApiClient,
    private readonly metrics: MetricSink,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly signal: StopSignal,
    private readonly counters: StatsCounters,
    private readonly host: StatsHost,
  ) {}

  /** Sends the first report now. */
  start(): void {
    this.intendedAt = this.clock.now();
    this.fire();
  }

  /** Stops waiting (an in-flight POST is cancelled by the signal). */
  stop(): void {
    this.scheduler.cancel(this);
  }

  fire(): void {
    if (this.signal.aborted) return this.host.statsEnded?.();
    const stats = this.counters.snapshot(this.clock.now());
    this.inFlight = this.client.reportStats(stats, { intendedAt: this.intendedAt, signal: this.signal }).then((result) => this.answered(result));
  }

  private answered(result: ApiResult<StatsResponse>): void {
    this.inFlight = undefined;
    if (result.errorClass === 'aborted' || this.signal.aborted) return this.host.statsEnded?.();
    this.host.statsAnswered();
    let waitMs: number;
    if (result.ok) {
      this.backoff.reset();
      this.metrics.count(METRIC.statsReported, 1);
      this.host.statsAccepted();
      const ns = result.body?.report_interval;
      // report_interval is a Go time.Duration in ns (protocol §5.7).
      waitMs = typeof ns === 'number' && ns > 0 ? nsToMs(ns) : FALLBACK_INTERVAL_MS;
    } else {
      waitMs = this.backoff.next();
    }
    this.intendedAt = this.clock.now() + waitMs;
    this.scheduler.schedule(this, waitMs);
  }
}
