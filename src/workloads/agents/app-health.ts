import type { Clock } from '../../core/clock.js';
import type { AgentApiClient, AppHealth } from '../../client/agent-client.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { Sleep } from './timing.js';

/** The real agent's reporter wakes every second and POSTs only if something changed (spec §9). */
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
 */
export class AppHealthModel {
  private readonly health: Record<string, AppHealth> = {};
  private checks = 0;

  constructor(
    readonly appIds: readonly string[],
    private readonly timing: AppHealthTiming,
    private readonly rng: { chance(p: number): boolean },
    private readonly originMs: number,
  ) {
    for (const id of appIds) this.health[id] = 'initializing';
  }

  /** Runs every check due up to `nowMs`. */
  advance(nowMs: number): void {
    const interval = Math.max(1, this.timing.checkInterval);
    while (this.originMs + (this.checks + 1) * interval <= nowMs) {
      this.checks++;
      const at = this.checks * interval;
      for (const id of this.appIds) {
        const current = this.health[id];
        if (current === 'initializing') {
          if (at >= this.timing.healthyAfter) this.health[id] = 'healthy';
        } else if (this.timing.flapRate > 0 && this.rng.chance(this.timing.flapRate)) {
          this.health[id] = current === 'healthy' ? 'unhealthy' : 'healthy';
        }
      }
    }
  }

  current(): Record<string, AppHealth> {
    return { ...this.health };
  }

  /** True once nothing can change any more (no flapping and every app past initializing). */
  settled(): boolean {
    return this.timing.flapRate <= 0 && this.appIds.every((id) => this.health[id] !== 'initializing');
  }
}

export function sameHealth(a: Record<string, AppHealth>, b: Record<string, AppHealth>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

export interface AppHealthLoopContext {
  client: AgentApiClient;
  metrics: MetricSink;
  clock: Clock;
  sleep: Sleep;
  /** Aborted when the run-loop pass ends (the real agent restarts the reporter every pass). */
  signal: AbortSignal;
  /** Cancels an in-flight POST (the agent stopping). A pass ending lets it finish, so a POST
   * the target accepted is always counted (default: `signal`). */
  requestSignal?: AbortSignal;
  model: AppHealthModel;
  /** What the target holds now (from metadata `apps[].health`); missing apps = initializing. */
  lastReported: Record<string, AppHealth>;
  onAccepted?: (healths: Record<string, AppHealth>) => void;
}

/**
 * The app-health reporter: every second, advance the checks and, if any tracked app's health
 * differs from what was last accepted, POST `{"Healths": {…every tracked app…}}`. It ends early
 * once the model is settled and reported (no further POST could ever happen).
 */
export async function runAppHealthLoop(ctx: AppHealthLoopContext): Promise<void> {
  // Only tracked apps count: apps without a health check are `disabled` and never sent.
  let last: Record<string, AppHealth> = {};
  for (const id of ctx.model.appIds) last[id] = ctx.lastReported[id] ?? 'initializing';
  while (!ctx.signal.aborted) {
    if (!(await ctx.sleep(REPORT_EVERY_MS, ctx.signal))) return;
    const intendedAt = ctx.clock.now();
    ctx.model.advance(intendedAt);
    const now = ctx.model.current();
    if (!sameHealth(now, last)) {
      const result = await ctx.client.postAppHealth(now, { signal: ctx.requestSignal ?? ctx.signal, intendedAt });
      if (result.errorClass === 'aborted') return;
      if (result.ok) {
        last = now;
        ctx.metrics.count(METRIC.appHealthReported, 1);
        ctx.onAccepted?.(now);
      }
    }
    if (ctx.model.settled() && sameHealth(ctx.model.current(), last)) return;
  }
}
