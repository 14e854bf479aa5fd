import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Clock } from '../../../core/clock.js';
import { METRIC } from '../../../metrics/names.js';
import type { MetricSink } from '../../../metrics/sink.js';
import type { StatsSchema } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, durationToMs } from '../../../protocol/v2/messages.js';
import type { StatsCounters } from '../stats-loop.js';
import type { Scheduler } from '../timer-heap.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import type { SessionMix } from './session-mix.js';
import type { SessionPort } from './session-port.js';

/** Used when the target answers without a usable interval (the v1 reporter's fallback). */
const FALLBACK_INTERVAL_MS = 600_000;

export interface StatsRoutineEnv {
  scheduler: Scheduler;
  clock: Clock;
  metrics: MetricSink;
}

/** What the routine tells its agent. */
export interface StatsRoutineHost {
  /** The interval-only call was answered. */
  statsIntervalLearned(): void;
  /** A report (with `stats`) was accepted. */
  statsAccepted(): void;
  /** The agent's session counts (src/workloads/agents/v2/session-mix.ts); none when absent. */
  readonly sessions?: SessionMix;
}

/**
 * The stats reporter of one session (docs/protocol-v2.md §5.2, §3.3 item 10): UpdateStats with
 * `stats` absent to learn the interval, then one report per interval on a fixed-rate schedule
 * like Go's ticker (latency measured from each tick's intended time; ticks missed while a slow
 * call was out are dropped, not bunched), switching when an answer names another interval.
 * Driven by the fleet's scheduler: while waiting, the agent holds only this object.
 */
export class StatsRoutine implements TaskOwner {
  private readonly task = new OwnedTask(this, 0);
  private intervalMs = 0;
  private intendedAt = 0;
  private stopped = false;

  constructor(
    private readonly port: SessionPort,
    private readonly env: StatsRoutineEnv,
    private readonly counters: StatsCounters,
    private readonly host: StatsRoutineHost,
  ) {}

  start(): void {
    void this.askInterval();
  }

  stop(): void {
    this.stopped = true;
    this.env.scheduler.cancel(this.task);
  }

  onTask(): void {
    if (this.stopped || !this.port.live) return;
    void this.report();
  }

  private async askInterval(): Promise<void> {
    const result = await this.port.client.call(AGENT_RPC.UpdateStats, {});
    if (!result.ok) {
      if (!result.aborted && !this.stopped) this.port.teardown();
      return;
    }
    this.host.statsIntervalLearned();
    if (this.stopped) return;
    this.intervalMs = intervalOf(result.value.reportInterval);
    this.intendedAt = this.env.clock.now() + this.intervalMs;
    this.env.scheduler.schedule(this.task, this.intervalMs);
  }

  private async report(): Promise<void> {
    const { clock, metrics, scheduler } = this.env;
    const intendedAt = this.intendedAt;
    const result = await this.port.client.call(AGENT_RPC.UpdateStats, { stats: toProtoStats(this.counters, clock.now(), this.host.sessions) }, { intendedAt });
    if (!result.ok) {
      if (!result.aborted && !this.stopped) this.port.teardown();
      return;
    }
    // Counted even when the routine stopped meanwhile: the target stored it.
    metrics.count(METRIC.statsReported, 1);
    this.host.statsAccepted();
    if (this.stopped) return;
    const interval = intervalOf(result.value.reportInterval);
    // A new interval restarts the ticker from now (Go's ticker.Reset); otherwise the next tick
    // is one interval after this one, or now if the call outlasted it.
    const now = clock.now();
    if (interval !== this.intervalMs) {
      this.intervalMs = interval;
      this.intendedAt = now + interval;
    } else {
      this.intendedAt = Math.max(intendedAt + interval, now);
    }
    scheduler.schedule(this.task, this.intendedAt - now);
  }
}

function intervalOf(duration: Parameters<typeof durationToMs>[0]): number {
  const ms = durationToMs(duration);
  return ms > 0 ? ms : FALLBACK_INTERVAL_MS;
}

/** The seeded counters as a v2 Stats message, with session counts when a mix is given. */
export function toProtoStats(counters: StatsCounters, nowMs: number, sessions?: SessionMix): MessageInitShape<typeof StatsSchema> {
  const s = counters.snapshot(nowMs);
  const byProto: Record<string, bigint> = {};
  for (const [proto, n] of Object.entries(s.conns_by_proto)) byProto[proto] = BigInt(n);
  return {
    connectionsByProto: byProto,
    connectionCount: BigInt(s.num_comms),
    rxPackets: BigInt(s.rx_packets),
    rxBytes: BigInt(s.rx_bytes),
    txPackets: BigInt(s.tx_packets),
    txBytes: BigInt(s.tx_bytes),
    ...sessions?.draw(s.num_comms),
  };
}
