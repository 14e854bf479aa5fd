import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareOutputDir } from '../../src/cli/output-dir.js';
import { FleetsimError } from '../../src/core/errors.js';
import { runMain } from './cli-io.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-out-'));
  await writeFile(join(dir, 'a-file'), 'not a folder\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function harnessError(promise: Promise<unknown>): Promise<FleetsimError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetsimError);
  expect((error as FleetsimError).exitCode).toBe(4);
  return error as FleetsimError;
}

describe('prepareOutputDir', () => {
  it('creates missing folders and leaves no probe file behind', async () => {
    const path = await prepareOutputDir('deep/er/reports', { cwd: dir });
    expect(path).toBe(join(dir, 'deep/er/reports'));
    expect(await readdir(path)).toEqual([]);
  });

  it('refuses a path under a file (ENOTDIR)', async () => {
    const error = await harnessError(prepareOutputDir(join(dir, 'a-file', 'sub')));
    expect(error.message).toContain('a part of the path is a file, not a folder (ENOTDIR)');
  });

  it('refuses /proc at once instead of hanging in a recursive mkdir', async () => {
    const error = await harnessError(prepareOutputDir('/proc/fleetsim-never/reports'));
    expect(error.message).toMatch(/^--out \/proc\/fleetsim-never\/reports: the report folder is not writable/);
  });

  it('gives up after the timeout when the file system never answers', async () => {
    const error = await harnessError(prepareOutputDir(join(dir, 'slow'), { timeoutMs: 20, probe: () => new Promise(() => {}) }));
    expect(error.message).toContain('no answer from the file system within 20 ms');
  });
});

describe('fleetsim run --out', () => {
  it.each([
    ['under a file', () => join(dir, 'a-file', 'sub')],
    ['under /proc', () => '/proc/fleetsim-never'],
  ])('an unwritable --out (%s) exits 4 before any traffic', async (_name, out) => {
    const result = await runMain(['run', 'scenarios/ci-repro.json', '--out', out()]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/fleetsim: --out .*: the report folder is not writable/);
    expect(result.stderr).not.toContain('started');
    expect(result.stdout).toBe('');
    expect(existsSync(join(dir, 'a-file', 'sub'))).toBe(false);
  });
});
