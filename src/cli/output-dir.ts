/**
 * `--out` is checked before any traffic: a run that cannot write its report must fail at once
 * (exit 4), not after minutes of load. The folder is created one level at a time (Node's
 * recursive mkdir spins forever on some paths, e.g. under /proc), a probe file is written and
 * removed, and the whole check is bounded by a timeout (a hung network mount).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FleetsimError } from '../core/errors.js';

export const OUTPUT_CHECK_TIMEOUT_MS = 5_000;

/** Creates `dir` if needed and proves it writable; throws a `harness` FleetsimError otherwise. */
export async function prepareOutputDir(
  dir: string,
  options: { cwd?: string; timeoutMs?: number /** Replaces the file-system probe (tests of the timeout). */; probe?: (path: string) => Promise<void> } = {},
): Promise<string> {
  const path = resolve(options.cwd ?? process.cwd(), dir);
  const timeoutMs = options.timeoutMs ?? OUTPUT_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the file system within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([(options.probe ?? probe)(path), timeout]);
    return path;
  } catch (error) {
    throw new FleetsimError('harness', `--out ${dir}: the report folder is not writable: ${describe(error)}`, {
      cause: error,
      hint: 'pass --out with a folder you can write to (it is created if missing)',
    });
  } finally {
    clearTimeout(timer);
  }
}

async function probe(path: string): Promise<void> {
  await makeDirs(path, 0);
  const file = join(path, `.fleetsim-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(file, 'fleetsim checks that reports can be written here\n');
  await unlink(file);
}

/** mkdir -p, one level per call, so every failure surfaces as an error code. */
async function makeDirs(path: string, depth: number): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!(await stat(path)).isDirectory()) throw Object.assign(new Error(`${path} exists and is not a folder`), { code: 'ENOTDIR' });
      return;
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path || depth > 64) throw error;
    await makeDirs(parent, depth + 1);
  }
  try {
    await mkdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the folder cannot be created there',
    ENOSPC: 'no space left on the device',
  };
  const reason = e?.code ? reasons[e.code] : undefined;
  return reason ? `${reason} (${e.code})` : (e?.message ?? String(error));
}
