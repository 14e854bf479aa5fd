import type { Clock } from '../../../core/clock.js';
import type { AppHealth } from '../../../client/agent-client.js';
import { METRIC } from '../../../metrics/names.js';
import type { MetricSink } from '../../../metrics/sink.js';
import { AppHealth as ProtoAppHealth } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, uuidToBytes } from '../../../protocol/v2/messages.js';
import { REPORT_EVERY_MS, type AppHealthModel } from '../app-health.js';
import type { Scheduler } from '../timer-heap.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import type { SessionPort } from './session-port.js';

const TO_PROTO: Record<AppHealth, ProtoAppHealth> = {
  initializing: ProtoAppHealth.INITIALIZING,
  healthy: ProtoAppHealth.HEALTHY,
  unhealthy: ProtoAppHealth.UNHEALTHY,
};

export interface AppHealthRoutineEnv {
  scheduler: Scheduler;
  clock: Clock;
  metrics: MetricSink;
}

export interface AppHealthHost {
  /** A batch was accepted with these states (parallel to the model's app ids, a fresh array). */
  healthAccepted(states: readonly AppHealth[]): void;
}

/**
 * The app-health reporter of one session (docs/protocol-v2.md §5.4, §3.3 item 8), on the same
 * seeded model as v1 (app-health.ts): every second the checks advance and, when any tracked
 * app's health differs from what the target holds, one BatchUpdateAppHealths carries every
 * tracked app. It starts from the target's view (the manifest's `health`), like the Go agent
 * restarting its reporter per session, and ends once the model is settled and reported.
 */
export class AppHealthRoutine implements TaskOwner {
  private readonly task = new OwnedTask(this, 0);
  private readonly ids: Uint8Array[];
  private last: AppHealth[];
  private busy = false;
  private stopped = false;

  constructor(
    private readonly port: SessionPort,
    private readonly env: AppHealthRoutineEnv,
    private readonly model: AppHealthModel,
    /** What the target holds now, parallel to `model.appIds`. */
    serverView: readonly AppHealth[],
    private readonly host: AppHealthHost,
  ) {
    this.ids = model.appIds.map((id) => uuidToBytes(id));
    this.last = serverView.slice();
  }

  start(): void {
    if (this.model.appIds.length > 0) this.env.scheduler.schedule(this.task, REPORT_EVERY_MS);
  }

  stop(): void {
    this.stopped = true;
    this.env.scheduler.cancel(this.task);
  }

  onTask(): void {
    if (this.stopped || !this.port.live) return;
    const intendedAt = this.env.clock.now();
    this.model.advance(intendedAt);
    if (this.busy) return this.rearm();
    if (!same(this.model.states, this.last)) {
      this.busy = true;
      void this.send(this.model.states.slice(), intendedAt);
      return;
    }
    if (!this.model.settled()) this.rearm();
  }

  private rearm(): void {
    this.env.scheduler.schedule(this.task, REPORT_EVERY_MS);
  }

  private async send(states: AppHealth[], intendedAt: number): Promise<void> {
    const updates = states.map((state, i) => ({ id: this.ids[i]!, health: TO_PROTO[state] }));
    const result = await this.port.client.call(AGENT_RPC.BatchUpdateAppHealths, { updates }, { intendedAt });
    this.busy = false;
    if (!result.ok) {
      if (!result.aborted && !this.stopped) this.port.teardown();
      return;
    }
    this.last = states;
    this.env.metrics.count(METRIC.appHealthReported, 1);
    this.host.healthAccepted(states);
    if (this.stopped) return;
    // Settled and reported: nothing can ever change again.
    if (!(this.model.settled() && same(this.model.states, states))) this.rearm();
  }
}

function same(a: readonly AppHealth[], b: readonly AppHealth[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
