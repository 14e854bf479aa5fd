/**
 * What run-scenario.ts does differently when it runs one shard (`fleetsim run --shard K/N`):
 * run the shard's slice of the fleet (runner/shard.ts), wait for the common start instant once
 * the target is up, report live figures to a parent (local workers), and write the shard file
 * beside the shard's own report. The shard's own summary does not judge thresholds: a slice of
 * the fleet says nothing about the run's percentiles; `fleetsim merge` judges them.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Rng } from '../core/rng.js';
import type { LiveSnapshot, Recorder } from '../metrics/recorder-types.js';
import type { FaultWindow } from '../metrics/recovery.js';
import type { GeneratorSummary } from '../metrics/summary-types.js';
import type { Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import type { StopReason } from './outcome.js';
import { shardRng, shardScenario, shardSchedule, shardSlice, type ShardSlice, type ShardSpec } from './shard.js';
import { buildShardFile, writeShardFile } from './shard-file.js';
import { waitUntil } from './start-at.js';

/** `RunOptions.shard`: run one shard of a run. */
export interface ShardRunOptions extends ShardSpec {
  /** Epoch ms at which every shard starts its timeline (`--start-at`); default: at once. */
  startAtMs?: number;
  /**
   * Called once the target is up, before the timeline starts; resolves the start instant
   * (epoch ms) or undefined for "now". Local workers use it as a barrier: the parent answers
   * once every worker is ready. Overrides `startAtMs`.
   */
  ready?: (signal: AbortSignal | undefined) => Promise<number | undefined>;
  /** Called about once a second with the shard's live figures (local workers' parent line). */
  progress?: (snapshot: LiveSnapshot) => void;
  /** `--allow-saturated` was given (recorded for the merge). */
  allowSaturated?: boolean;
}

export interface ShardRun {
  spec: ShardSpec;
  slice: ShardSlice;
  /** The scenario with the shard's share of the REST load. */
  scenario: Scenario;
  /** The plan the shard's workloads follow: the run's, with the shard's peak. */
  plan: Plan;
  /** The run's plan with the shard's slice, for the shard's own summary. */
  summaryPlan: Plan & { shard: ShardSlice };
  schedule(elapsedMs: number): number;
  rng(rng: Rng): Rng;
  /** Waits for the start instant; resolves the facts for the shard file. */
  waitForStart(clock: Clock, signal: AbortSignal | undefined, log: Logger): Promise<{ startAt?: string; lateByMs?: number }>;
  /** Starts the `progress` ticker (when asked for); returns its stop. */
  watch(recorder: Recorder, clock: Clock): () => void;
  /** Writes `shard-K-of-N.json` into `dir`; returns its path. */
  write(dir: string, end: ShardEnd): Promise<string>;
}

export interface ShardEnd {
  recorder: Recorder;
  runId: string;
  target: string;
  startedAt: string;
  endedAt: string;
  stopReason: StopReason;
  errored: boolean;
  generator?: GeneratorSummary;
  faults?: FaultWindow[];
}

export function prepareShardRun(scenario: Scenario, plan: Plan, options: ShardRunOptions): ShardRun {
  const spec: ShardSpec = { index: options.index, count: options.count };
  const slice = shardSlice(plan, scenario, spec);
  let start: { startAt?: string; lateByMs?: number } = {};
  return {
    spec,
    slice,
    scenario: shardScenario(scenario, slice),
    plan: { ...plan, peakAgents: slice.peakAgents, agentStarts: slice.agentStarts },
    summaryPlan: { ...plan, peakAgents: slice.peakAgents, agentStarts: slice.agentStarts, shard: slice },
    schedule: shardSchedule(plan, spec),
    rng: (rng) => shardRng(rng, spec),
    async waitForStart(clock, signal, log) {
      const at = options.ready ? await options.ready(signal) : options.startAtMs;
      if (at === undefined) return start;
      const lateByMs = await waitUntil(clock, at, signal);
      // A little lateness is the timer's; more means the target took longer than the margin.
      if (lateByMs > 1000) log.warn(`shard ${spec.index}/${spec.count} started ${lateByMs} ms after --start-at (the target took longer to come up)`);
      start = { startAt: new Date(at).toISOString(), ...(lateByMs > 0 ? { lateByMs } : {}) };
      return start;
    },
    watch(recorder, clock) {
      const progress = options.progress;
      if (!progress) return () => undefined;
      const ticker = clock.every(1000, () => progress(recorder.snapshot()));
      return () => ticker.stop();
    },
    write(dir, end) {
      const file = buildShardFile({
        scenario,
        plan,
        slice,
        recorder: end.recorder.encode(),
        ...(end.generator ? { generator: end.generator } : {}),
        ...(end.faults ? { faults: end.faults } : {}),
        meta: {
          ...start,
          startedAt: end.startedAt,
          endedAt: end.endedAt,
          runId: end.runId,
          target: end.target,
          stopReason: end.stopReason,
          errored: end.errored,
          allowSaturated: options.allowSaturated === true,
        },
      });
      return writeShardFile(dir, file);
    },
  };
}
