import { Lifecycle_State } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, msToTimestamp } from '../../../protocol/v2/messages.js';
import { METRIC } from '../../../metrics/names.js';
import type { MetricSink } from '../../../metrics/sink.js';
import type { SessionPort, V2LifecycleState } from './session-port.js';

const ENUM: Record<V2LifecycleState, Lifecycle_State> = {
  created: Lifecycle_State.CREATED,
  starting: Lifecycle_State.STARTING,
  start_timeout: Lifecycle_State.START_TIMEOUT,
  start_error: Lifecycle_State.START_ERROR,
  ready: Lifecycle_State.READY,
  shutting_down: Lifecycle_State.SHUTTING_DOWN,
  off: Lifecycle_State.OFF,
};

/**
 * The agent's lifecycle reporter (docs/protocol-v2.md §3.3 item 3): every state it enters is
 * reported, in order, one UpdateLifecycle at a time, with `changed_at` = when the agent entered
 * it. Unlike v1 (newest state only) nothing is skipped. The queue outlives sessions: a state
 * whose call failed is sent again first on the next session, so the target sees each state once
 * and in order.
 */
export class LifecycleQueue {
  // Unreported states and when they were entered. Both are replaced by fresh (unallocated)
  // arrays once everything is reported, rather than kept growing: an agent lives for the whole
  // run, and a pushed-to array keeps V8's minimum grown capacity (17 slots) per agent.
  private states: V2LifecycleState[] = [];
  private times: number[] = [];
  private sent = 0;
  private busy = false;
  private last: V2LifecycleState | undefined;

  constructor(
    /** Holds every state the target accepted, in order (the agent's report). */
    private readonly report: { lifecycle: readonly V2LifecycleState[] },
    private readonly metrics: MetricSink,
    /** Told whenever the queue becomes empty after an accepted call. */
    private readonly host: { lifecycleDrained(): void },
  ) {}

  /** The agent entered `state` at `atWallMs`. */
  push(state: V2LifecycleState, atWallMs: number): void {
    this.states.push(state);
    this.times.push(atWallMs);
    this.last = state;
  }

  /** The newest state entered (reported or not). */
  get current(): V2LifecycleState | undefined {
    return this.last;
  }

  get drained(): boolean {
    return this.sent === this.states.length && !this.busy;
  }

  /** Sends the next unreported state on `port` unless a call is in flight. */
  pump(port: SessionPort): void {
    if (this.busy || !port.live || this.sent >= this.states.length) return;
    this.busy = true;
    void this.send(port);
  }

  private async send(port: SessionPort): Promise<void> {
    const index = this.sent;
    const state = this.states[index]!;
    const result = await port.client.call(AGENT_RPC.UpdateLifecycle, {
      lifecycle: { state: ENUM[state], changedAt: msToTimestamp(this.times[index]!) },
    });
    this.busy = false;
    if (!result.ok) {
      if (!result.aborted) port.teardown();
      return;
    }
    this.sent = index + 1;
    // A copy of exact size (a few states per run), see the report's `lifecycle`: `concat`
    // allocates exactly, where a spread literal or `push` leaves spare capacity.
    this.report.lifecycle = this.report.lifecycle.concat(state);
    this.metrics.count(METRIC.lifecycleReported, 1, { state });
    if (this.sent < this.states.length) return this.pump(port);
    this.states = [];
    this.times = [];
    this.sent = 0;
    this.host.lifecycleDrained();
  }
}
