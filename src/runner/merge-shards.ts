/**
 * Merging the shards of one run into the run's report, as if one process had run the whole
 * fleet: the recorders merge exactly (metrics/recorder.ts `merge`: HDR histograms, counters,
 * per-second series), the scenario's thresholds are judged on the merged figures, every
 * reporter writes the merged summary (with `meta.shards`), and the exit code follows the same
 * rules as `fleetsim run` (runner/outcome.ts).
 *
 * How the shards' own states combine: the run is `errored` if any shard errored, `interrupted`
 * (by the first interrupted shard's signal) if any was stopped, `invalid` if any shard's harness
 * was saturated (each shard is its own process; the merged `generator` is the worst shard's).
 */
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createRecorder } from '../metrics/recorder.js';
import type { FaultWindow } from '../metrics/recovery.js';
import { buildSummary } from '../metrics/summary.js';
import type { GeneratorSummary, RunSummary, ShardsMeta } from '../metrics/summary-types.js';
import { evaluateThresholds, parseThreshold } from '../metrics/thresholds.js';
import { writeReports } from '../reporters/index.js';
import { FLEETSIM_VERSION } from '../version.js';
import { runOutcome, type StopReason } from './outcome.js';
import { checkShards, collectShardFiles, loadShards, type CheckedShards, type LoadedShard } from './shard-check.js';
import { makeRunId } from './run-scenario.js';

export interface MergeOptions {
  /** Shard files, or folders holding them. */
  paths: readonly string[];
  cwd: string;
  /** Merge when shards are missing (the report says which). */
  allowPartial?: boolean;
  /** Keep the outcome of a run whose harness was saturated (ORed with the scenario's setting). */
  allowSaturated?: boolean;
  /** The run was known to have failed (a local worker crashed): outcome `errored`. */
  errored?: boolean;
  log: Logger;
  print?: (text: string) => void;
  /** The shards already loaded and checked (`loadCheckedShards`); `paths` is then not read again. */
  checked?: CheckedShards;
}

export interface MergeResult {
  summary: RunSummary;
  exitCode: number;
  reportDir: string;
  written: string[];
}

/** Finds, checks and loads the shard files (usage errors, exit 2, for anything wrong). */
export async function loadCheckedShards(options: Pick<MergeOptions, 'paths' | 'cwd' | 'allowPartial'>): Promise<CheckedShards> {
  const files = await collectShardFiles(options.paths, options.cwd);
  return checkShards(await loadShards(files, options.cwd), { allowPartial: options.allowPartial === true });
}

/** Merges checked shards into a RunSummary with thresholds and outcome; pure apart from `log`. */
export function mergeShardSummary(
  checked: CheckedShards,
  options: Pick<MergeOptions, 'allowSaturated' | 'errored' | 'log'> & { runId: string },
): { summary: RunSummary; exitCode: number } {
  const { shards, count, missing } = checked;
  const files = shards.map((s) => s.file);
  const first = files[0]!;
  const startedAtMs = Math.min(...files.map((f) => f.recorder.startedAtMs));
  const endWallMs = Math.max(...files.map((f) => Date.parse(f.meta.endedAt)));
  // The merged recorder's "now" is the end of the last shard, so its series stop there.
  const recorder = createRecorder({ clock: new ManualClock(0, Math.max(endWallMs, startedAtMs)), startedAtMs });
  for (const file of files) recorder.merge(file.recorder);

  const scenario = first.scenario as { observe?: { allowSaturated?: boolean }; thresholds?: string[] };
  const allowSaturated = options.allowSaturated === true || scenario.observe?.allowSaturated === true || files.every((f) => f.meta.allowSaturated);
  const generator = worstGenerator(files.map((f) => f.generator));
  if (generator?.verdict === 'saturated' && allowSaturated) generator.saturationAllowed = true;

  const embedded = first.meta.target === 'embedded';
  const shardsMeta: ShardsMeta = {
    count,
    merged: files.map((f) => f.meta.shard.index),
    missing,
    partial: missing.length > 0,
    ...(embedded ? { embeddedServers: files.length } : {}),
    list: files.map((f) => ({
      index: f.meta.shard.index,
      host: f.meta.host,
      runId: f.meta.runId,
      startedAt: f.meta.startedAt,
      endedAt: f.meta.endedAt,
      stopReason: f.meta.stopReason,
      errored: f.meta.errored,
      ...(f.generator ? { generator: f.generator.verdict } : {}),
      ...(f.meta.lateByMs !== undefined ? { lateByMs: f.meta.lateByMs } : {}),
    })),
  };
  const summary = buildSummary(recorder, {
    meta: {
      scenario: first.meta.scenario,
      seed: first.meta.seed,
      target: first.meta.target,
      startedAt: new Date(Math.min(...files.map((f) => Date.parse(f.meta.startedAt)))).toISOString(),
      endedAt: new Date(endWallMs).toISOString(),
      fleetsimVersion: FLEETSIM_VERSION,
      runId: options.runId,
      shards: shardsMeta,
    },
    plan: first.plan,
    agentsPlanned: first.plan.peakAgents,
    ...(generator ? { generator } : {}),
    faults: faultWindows(shards, startedAtMs),
  });
  summary.thresholds = evaluateThresholds(
    summary,
    (scenario.thresholds ?? []).map((expression) => parseThreshold(expression)),
  );
  const stopped = files.find((f) => f.meta.stopReason !== 'completed');
  const { outcome, exitCode } = runOutcome({
    stopReason: (stopped?.meta.stopReason ?? 'completed') as StopReason,
    errored: options.errored === true || files.some((f) => f.meta.errored),
    thresholdsFailed: summary.thresholds.some((t) => !t.pass),
    saturated: generator?.verdict === 'saturated' && !allowSaturated,
  });
  summary.outcome = outcome;

  const versions = [...new Set(files.map((f) => f.meta.fleetsimVersion))];
  if (versions.length > 1) options.log.warn(`the shards ran different fleetsim versions (${versions.join(', ')}); merging anyway`);
  if (missing.length > 0) {
    options.log.warn(
      `partial merge: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing; the figures cover ${files.length} of ${count} shards`,
    );
  }
  return { summary, exitCode };
}

/** `fleetsim merge`: load, check, merge, write every report into `<outDir>/<runId>` (or `reportDir`). */
export async function mergeShards(options: MergeOptions & ({ outDir: string } | { reportDir: string })): Promise<MergeResult> {
  const checked = options.checked ?? (await loadCheckedShards(options));
  const first = checked.shards[0]!.file;
  const runId = 'reportDir' in options ? (options.reportDir.split(/[\\/]/).pop() ?? 'merged') : makeRunId(`${first.meta.scenario}-merged`);
  const reportDir = 'reportDir' in options ? options.reportDir : join(options.outDir, runId);
  const { summary, exitCode } = mergeShardSummary(checked, { ...options, runId });
  const { written, failed } = await writeReports(summary, reportDir, { console: options.print, redact: (text) => options.log.redact(text) });
  for (const failure of failed) options.log.error(`reporter ${failure.reporter} failed: ${failure.error}`);
  if (written.length === 0) throw new FleetsimError('harness', `no report could be written under ${reportDir}`);
  return { summary, exitCode, reportDir, written };
}

/**
 * The worst shard's harness self-check: each shard is its own process, and one saturated shard
 * is enough to make the merged figures describe fleetsim rather than the target.
 */
function worstGenerator(list: readonly (GeneratorSummary | undefined)[]): GeneratorSummary | undefined {
  const present = list.filter((g): g is GeneratorSummary => g !== undefined);
  if (present.length === 0) return undefined;
  const max = (pick: (g: GeneratorSummary) => number) => Math.max(...present.map(pick));
  return {
    eventLoopDelayMs: { p50: max((g) => g.eventLoopDelayMs.p50), p99: max((g) => g.eventLoopDelayMs.p99), max: max((g) => g.eventLoopDelayMs.max) },
    cpuPercent: { mean: max((g) => g.cpuPercent.mean), max: max((g) => g.cpuPercent.max) },
    maxRssBytes: max((g) => g.maxRssBytes),
    seconds: max((g) => g.seconds),
    saturatedSeconds: max((g) => g.saturatedSeconds),
    verdict: present.some((g) => g.verdict === 'saturated') ? 'saturated' : 'ok',
    // GC figures do not add across processes: keep the whole section of the shard whose
    // longest pause was the longest (its seconds are that shard's, close to the merged run's).
    ...worstGc(present),
  };
}

function worstGc(present: readonly GeneratorSummary[]): Pick<GeneratorSummary, 'gc'> {
  let worst: GeneratorSummary['gc'];
  for (const g of present) if (g.gc && (!worst || g.gc.maxPauseMs > worst.maxPauseMs)) worst = g.gc;
  return worst ? { gc: worst } : {};
}

/** Every shard applies the same faults at about the same moment: the lowest shard's windows
 * stand for the run, moved onto the merged recorder's clock. */
function faultWindows(shards: readonly LoadedShard[], startedAtMs: number): FaultWindow[] {
  const owner = shards.find((s) => s.file.faults && s.file.faults.length > 0);
  if (!owner) return [];
  const shift = owner.file.recorder.startedAtMs - startedAtMs;
  return owner.file.faults!.map((f) => ({ action: f.action, atMs: f.atMs + shift, endedAtMs: f.endedAtMs + shift }));
}
