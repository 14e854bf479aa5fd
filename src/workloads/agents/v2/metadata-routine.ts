import type { Clock } from '../../../core/clock.js';
import { METRIC } from '../../../metrics/names.js';
import type { MetricSink } from '../../../metrics/sink.js';
import type { WorkspaceAgentMetadata_Description } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, metadataDurationToSeconds, msToTimestamp } from '../../../protocol/v2/messages.js';
import type { Scheduler } from '../timer-heap.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import type { SessionPort } from './session-port.js';

/** The Go agent checks for due keys every second and sends at most once a second (docs/protocol-v2.md §3.3 item 4). */
export const METADATA_TICK_MS = 1000;

export interface MetadataRoutineEnv {
  scheduler: Scheduler;
  clock: Clock;
  metrics: MetricSink;
}

export interface MetadataHost {
  /** A batch of `keys` entries was accepted. */
  metadataAccepted(keys: number): void;
  /** A seeded value in [0, 1) for the next collected value. */
  nextValue(): number;
}

/**
 * The metadata reporter of one session (docs/protocol-v2.md §5.1, §5.6, §3.3 item 4): each key
 * of the manifest is "collected" on its own interval (read with the seconds-in-nanos quirk,
 * at least 1 s; an interval of 0 collects once), due keys are sent together in one
 * BatchUpdateMetadata (field 2), one call in flight; a key that comes due meanwhile waits for
 * the next tick. The values are seeded fake readings ("37%").
 */
export class MetadataRoutine implements TaskOwner {
  private readonly task = new OwnedTask(this, 0);
  private readonly keys: string[];
  private readonly intervals: number[];
  /** Next collection per key (monotonic ms); Infinity = never again. */
  private readonly due: number[];
  private busy = false;
  private stopped = false;

  constructor(
    private readonly port: SessionPort,
    private readonly env: MetadataRoutineEnv,
    descriptions: readonly WorkspaceAgentMetadata_Description[],
    private readonly host: MetadataHost,
  ) {
    this.keys = descriptions.map((d) => d.key);
    this.intervals = descriptions.map((d) => metadataDurationToSeconds(d.interval) * 1000);
    const now = env.clock.now();
    this.due = descriptions.map(() => now);
  }

  start(): void {
    if (this.keys.length > 0) this.env.scheduler.schedule(this.task, 0);
  }

  stop(): void {
    this.stopped = true;
    this.env.scheduler.cancel(this.task);
  }

  onTask(): void {
    if (this.stopped || !this.port.live) return;
    const now = this.env.clock.now();
    if (!this.busy) {
      const batch: number[] = [];
      for (let i = 0; i < this.keys.length; i++) {
        if (this.due[i]! > now + 1) continue;
        batch.push(i);
        const interval = this.intervals[i]!;
        this.due[i] = interval > 0 ? Math.max(this.due[i]! + Math.max(interval, METADATA_TICK_MS), now) : Infinity;
      }
      if (batch.length > 0) {
        this.busy = true;
        void this.send(batch, now);
      }
    }
    this.rearm(now);
  }

  private rearm(now: number): void {
    let next = Infinity;
    for (const at of this.due) next = Math.min(next, at);
    if (next === Infinity) return;
    this.env.scheduler.schedule(this.task, Math.max(METADATA_TICK_MS, next - now));
  }

  private async send(batch: number[], intendedAt: number): Promise<void> {
    const at = msToTimestamp(this.env.clock.wallNow());
    const metadata = batch.map((i) => ({
      key: this.keys[i]!,
      result: { collectedAt: at, age: 0n, value: `${Math.floor(this.host.nextValue() * 100)}%`, error: '' },
    }));
    const result = await this.port.client.call(AGENT_RPC.BatchUpdateMetadata, { metadata }, { intendedAt });
    this.busy = false;
    if (!result.ok) {
      if (!result.aborted && !this.stopped) this.port.teardown();
      return;
    }
    // Counted even when the routine stopped meanwhile: the target stored it.
    this.env.metrics.count(METRIC.metadataReported, batch.length);
    this.host.metadataAccepted(batch.length);
  }
}
