/**
 * The shard file `shard-K-of-N.json`: everything `fleetsim merge` needs to rebuild the whole
 * run from its shards, with no secrets. It holds the shard's encoded recorder (exact HDR
 * histograms, counters and per-second series: metrics/recorder.ts `encode()`), its slice of the
 * plan, the whole run's plan, the scenario (normalised, without the credentials path or any
 * user:password in the target URL) and the facts that tie the shards of one run together: the
 * scenario hash, the seed and N.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FleetsimError } from '../core/errors.js';
import { withoutUserInfo } from '../core/url.js';
import type { EncodedRecorder } from '../metrics/recorder-types.js';
import type { FaultWindow } from '../metrics/recovery.js';
import type { GeneratorSummary } from '../metrics/summary-types.js';
import type { Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { FLEETSIM_VERSION } from '../version.js';
import type { StopReason } from './outcome.js';
import type { ShardSlice, ShardSpec } from './shard.js';

export const SHARD_FILE_FORMAT = 'fleetsim-shard';
export const SHARD_FILE_VERSION = 1;
/** `shard-K-of-N.json`, the name `fleetsim merge` looks for in folders. */
export const SHARD_FILE_PATTERN = /^shard-(\d+)-of-(\d+)\.json$/;

export interface ShardMeta {
  /** Host name of the machine (or pod) that ran the shard. */
  host: string;
  fleetsimVersion: string;
  scenario: string;
  /** sha256 of the normalised, secret-free scenario (`scenarioHash`). */
  scenarioHash: string;
  seed: string;
  shard: ShardSpec;
  /** The `--start-at` instant the shard waited for (ISO 8601), when there was one. */
  startAt?: string;
  /** The timeline started this long after `startAt` (the target took longer to come up). */
  lateByMs?: number;
  /** ISO 8601: when the shard's timeline started and when the shard stopped. */
  startedAt: string;
  endedAt: string;
  runId: string;
  /** `embedded` or the target URL without credentials. */
  target: string;
  stopReason: StopReason;
  /** A workload or the runner failed in this shard. */
  errored: boolean;
  /** `--allow-saturated` was given to this shard. */
  allowSaturated: boolean;
}

export interface ShardFile {
  format: typeof SHARD_FILE_FORMAT;
  version: typeof SHARD_FILE_VERSION;
  meta: ShardMeta;
  /** The scenario as validated, without secrets (`shareableScenario`). */
  scenario: Record<string, unknown>;
  /** The whole run's plan (every shard carries the same). */
  plan: Plan;
  /** This shard's part of it. */
  slice: ShardSlice;
  generator?: GeneratorSummary;
  /** Faults this shard applied, on its recorder's clock. */
  faults?: FaultWindow[];
  recorder: EncodedRecorder;
}

export function shardFileName(shard: ShardSpec): string {
  return `shard-${shard.index}-of-${shard.count}.json`;
}

/**
 * The scenario as shards share it: every validated field, with the target URL stripped of any
 * user:password and without the credentials file path (it holds secrets, and its path may
 * differ from one machine to the next without changing the run).
 */
export function shareableScenario(scenario: Scenario): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(scenario)) as Record<string, unknown>;
  const target = copy.target as { url?: string; credentials?: string } | undefined;
  if (target) {
    delete target.credentials;
    if (typeof target.url === 'string') target.url = withoutUserInfo(target.url);
  }
  return canonical(copy) as Record<string, unknown>;
}

/** sha256 (hex) of the shareable scenario in canonical JSON (sorted keys). */
export function scenarioHash(scenario: Scenario): string {
  return createHash('sha256')
    .update(JSON.stringify(shareableScenario(scenario)))
    .digest('hex');
}

export interface ShardFileInput {
  scenario: Scenario;
  plan: Plan;
  slice: ShardSlice;
  recorder: EncodedRecorder;
  generator?: GeneratorSummary;
  faults?: FaultWindow[];
  meta: Omit<ShardMeta, 'host' | 'fleetsimVersion' | 'scenario' | 'scenarioHash' | 'seed' | 'shard'>;
}

export function buildShardFile(input: ShardFileInput): ShardFile {
  const { scenario, slice } = input;
  return {
    format: SHARD_FILE_FORMAT,
    version: SHARD_FILE_VERSION,
    meta: {
      host: hostname(),
      fleetsimVersion: FLEETSIM_VERSION,
      scenario: scenario.name,
      scenarioHash: scenarioHash(scenario),
      seed: String(scenario.seed),
      shard: { index: slice.index, count: slice.count },
      ...input.meta,
      target: withoutUserInfo(input.meta.target),
    },
    scenario: shareableScenario(scenario),
    plan: input.plan,
    slice,
    ...(input.generator ? { generator: input.generator } : {}),
    ...(input.faults && input.faults.length > 0 ? { faults: input.faults } : {}),
    recorder: input.recorder,
  };
}

/** Writes the shard file into `dir`; returns its path. */
export async function writeShardFile(dir: string, file: ShardFile): Promise<string> {
  const path = join(dir, shardFileName(file.meta.shard));
  await writeFile(path, `${JSON.stringify(file)}\n`);
  return path;
}

/** Reads and checks one shard file; a usage error (exit 2) when it is not one (`shown` names it). */
export async function readShardFile(path: string, shown = path): Promise<ShardFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new FleetsimError('usage', `${shown} is not a readable shard file (${reason})`);
  }
  const file = parsed as Partial<ShardFile> | null;
  if (file?.format !== SHARD_FILE_FORMAT || file.version !== SHARD_FILE_VERSION) {
    throw new FleetsimError('usage', `${shown} is not a fleetsim shard file (format ${SHARD_FILE_FORMAT} version ${SHARD_FILE_VERSION})`);
  }
  const meta = file.meta;
  const valid =
    meta !== undefined &&
    typeof meta.scenarioHash === 'string' &&
    typeof meta.seed === 'string' &&
    Number.isInteger(meta.shard?.index) &&
    Number.isInteger(meta.shard?.count) &&
    file.recorder?.format === 'fleetsim-recorder' &&
    typeof file.plan === 'object' &&
    typeof file.scenario === 'object';
  if (!valid) throw new FleetsimError('usage', `${shown}: the shard file is incomplete (meta, plan, scenario or recorder missing)`);
  return file as ShardFile;
}

/** A copy with object keys sorted (arrays keep their order), so equal scenarios hash equal. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
