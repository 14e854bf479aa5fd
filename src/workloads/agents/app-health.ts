import type { Clock } from '../../core/clock.js';
import type { AgentApiClient, AppHealth } from '../../client/agent-client.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { StopSignal } from '../../client/stop-signal.js';

/** A real agent's reporter wakes each second and POSTs only on a change (protocol §9.2.4). */
export const REPORT_EVERY_MS = 1000;

export interface AppHealthTiming {
  checkInterval: number;
  healthyAfter: number;
  flapRate: number;
}

/**
 * Simulated health checks of the agent's tracked apps. Check k happens at
 * `origin + k × checkInterval`; an app is `initializing` until `healthyAfter`, then `healthy`,
 * and at each later check flips healthy ⇄ unhealthy with probability `flapRate` (seeded draws in
 * check order, so the same seed gives the same flapping schedule).
 *
 * States live in an array parallel to `appIds`: an object keyed by app ids (UUIDs) would give
 * every agent hidden classes of its own, which a fleet of 20,000 agents pays for in memory.
 */
export class AppHealthModel {
  /** State of `appIds[i]`. */
  readonly states: AppHealth[];
  private checks = 0;

  constructor(
    readonly appIds: readonly string[],
    private readonly timing: AppHealthTiming,
    private readonly rng: { chance(p: number): boolean },
    private readonly originMs: number,
  ) {
    this.states = appIds.map(() => 'initializing');
  }

  /** Runs every check due up to `nowMs`. */
  advance(nowMs: number): void {
    const interval = Math.max(1, this.timing.checkInterval);
    const states = this.states;
    while (this.originMs + (this.checks + 1) * interval <= nowMs) {
      this.checks++;
      const at = this.checks * interval;
      for (let i = 0; i < states.length; i++) {
        const current = states[i];
        if (current === 'initializing') {
          if (at >= this.timing.healthyAfter) states[i] = 'healthy';
        } else if (this.timing.flapRate > 0 && this.rng.chance(this.timing.flapRate)) {
          states[i] = current === 'healthy' ? 'unhealthy' : 'healthy';
        }
      }
    }
  }

  /** The current states as a `Healths` record (a fresh object). */
  current(): Record<string, AppHealth> {
    return healthRecord(this.appIds, this.states);
  }

  /** True once nothing can change any more (no flapping and every app past initializing). */
  settled(): boolean {
    return this.timing.flapRate <= 0 && this.states.every((state) => state !== 'initializing');
  }
}

/** `{ [appIds[i]]: states[i] }`. */
export function healthRecord(appIds: readonly string[], states: readonly AppHealth[]): Record<string, AppHealth> {
  const out: Record<string, AppHealth> = {};
  for (let i = 0; i < appIds.length; i++) out[appIds[i]!] = states[i]!;
  return out;
}

function sameStates(a: readonly AppHealth[], b: readonly AppHealth[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

export interface AppHealthLoopContext {
  client: AgentApiClient;
  metrics: MetricSink;
  clock: Clock;
  /** Aborted when the run-loop pass ends (the real agent restarts the reporter every pass). */
  signal: StopSignal;
  /** Cancels an in-flight POST (the agent stopping). A pass ending lets it finish, so a POST
   * the target accepted is always counted (default: `signal`). */
  requestSignal?: StopSignal;
  model: AppHealthModel;
  /** What the target holds now (from metadata `apps[].health`); missing apps = initializing. */
  lastReported: Record<string, AppHealth>;
  /** After each accepted POST, with the states sent (parallel to `model.appIds`, a fresh array). */
  onAccepted?: (states: readonly AppHealth[]) => void;
}

/**
 * The app-health reporter: every second, advance the checks and, if any tracked app's health
 * differs from what was last accepted, POST `{"Healths": {…every tracked app…}}`. It ends early
 * once the model is settled and reported (no further POST could ever happen).
 */
export async function runAppHealthLoop(ctx: AppHealthLoopContext): Promise<void> {
  const { model } = ctx;
  // Only tracked apps count: apps without a health check are `disabled` and never sent.
  let last: AppHealth[] = model.appIds.map((id) => ctx.lastReported[id] ?? 'initializing');
  while (!ctx.signal.aborted) {
    if (!(await ctx.clock.sleep(REPORT_EVERY_MS, ctx.signal))) return;
    const intendedAt = ctx.clock.now();
    model.advance(intendedAt);
    if (!sameStates(model.states, last)) {
      const now = model.states.slice();
      const result = await ctx.client.postAppHealth(healthRecord(model.appIds, now), { signal: ctx.requestSignal ?? ctx.signal, intendedAt });
      if (result.errorClass === 'aborted') return;
      if (result.ok) {
        last = now;
        ctx.metrics.count(METRIC.appHealthReported, 1);
        ctx.onAccepted?.(now);
      }
    }
    if (model.settled() && sameStates(model.states, last)) return;
  }
}
