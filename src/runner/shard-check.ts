/**
 * Finding shard files and checking that they make one run, before anything is merged. Every
 * refusal is a usage error (exit 2) whose message names the files involved.
 *
 * Rules: the first file given (in argument order; files found in a folder in name order) is the
 * reference. Every other file must have the same scenario hash, seed and shard count N (else
 * it belongs to another run); each shard index appears once; every index 0 … N-1 is there
 * unless `allowPartial`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { FleetsimError } from '../core/errors.js';
import { readShardFile, SHARD_FILE_PATTERN, type ShardFile } from './shard-file.js';

/** How deep `collectShardFiles` looks inside a folder (`--workers` puts them 3 levels down). */
const MAX_DEPTH = 4;

export interface LoadedShard {
  /** As given or found (relative to cwd when inside it), for messages. */
  path: string;
  file: ShardFile;
}

/** The shard files in `paths` (files, or folders searched for `shard-K-of-N.json`). */
export async function collectShardFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const given of paths) {
    const full = resolve(cwd, given);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(full);
    } catch {
      throw new FleetsimError('usage', `${given}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const found = await findInDir(full, 0);
      if (found.length === 0) throw new FleetsimError('usage', `${given}: no shard-K-of-N.json file in this folder`);
      out.push(...found.map((path) => display(path, cwd)));
    } else {
      out.push(display(full, cwd));
    }
  }
  return out;
}

async function findInDir(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isFile() && SHARD_FILE_PATTERN.test(entry.name)) found.push(path);
    else if (entry.isDirectory() && depth < MAX_DEPTH) found.push(...(await findInDir(path, depth + 1)));
  }
  return found;
}

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Reads every file (a usage error for one that is not a shard file). */
export async function loadShards(paths: readonly string[], cwd: string): Promise<LoadedShard[]> {
  const loaded: LoadedShard[] = [];
  for (const path of paths) loaded.push({ path, file: await readShardFile(resolve(cwd, path), path) });
  return loaded;
}

export interface CheckedShards {
  /** The shards in index order. */
  shards: LoadedShard[];
  count: number;
  missing: number[];
}

/** Applies the rules above; throws the first broken one. */
export function checkShards(loaded: readonly LoadedShard[], options: { allowPartial: boolean }): CheckedShards {
  const reference = loaded[0];
  if (!reference) throw new FleetsimError('usage', 'no shard files to merge');
  const ref = reference.file.meta;
  const count = ref.shard.count;
  const byIndex = new Map<number, LoadedShard>();
  for (const shard of loaded) {
    const meta = shard.file.meta;
    const foreign = (what: string, theirs: string, ours: string): FleetsimError =>
      new FleetsimError('usage', `${shard.path} is not from the same run as ${reference.path}: its ${what} is ${theirs}, not ${ours}`, {
        hint: 'merge the shard files of one run only (same scenario and overrides, same seed, same N)',
      });
    if (meta.shard.count !== count) throw foreign('shard count', String(meta.shard.count), String(count));
    if (meta.seed !== ref.seed) throw foreign('seed', JSON.stringify(meta.seed), JSON.stringify(ref.seed));
    if (meta.scenarioHash !== ref.scenarioHash) throw foreign('scenario hash', meta.scenarioHash.slice(0, 12), ref.scenarioHash.slice(0, 12));
    if (meta.shard.index < 0 || meta.shard.index >= count) {
      throw new FleetsimError('usage', `${shard.path}: shard index ${meta.shard.index} is out of range for ${count} shards`);
    }
    const twin = byIndex.get(meta.shard.index);
    if (twin) throw new FleetsimError('usage', `shard ${meta.shard.index} of ${count} is given twice: ${twin.path} and ${shard.path}`);
    byIndex.set(meta.shard.index, shard);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0 && !options.allowPartial) {
    const have = [...byIndex.keys()].sort((a, b) => a - b);
    throw new FleetsimError('usage', `missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} (have ${have.join(', ')})`, {
      hint: 'pass every shard file of the run, or --allow-partial to merge what is there (the report says so)',
    });
  }
  return { shards: [...byIndex.values()].sort((a, b) => a.file.meta.shard.index - b.file.meta.shard.index), count, missing };
}
