import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The generated code under src/protocol/v2/gen is committed so tests and CI need no codegen.
// This regenerates it from proto/ into a temporary folder (buf and protoc-gen-es come from
// node_modules; no network) and fails when the committed copy differs: run `npm run gen`.

const ROOT = join(import.meta.dirname, '..', '..', '..');
const GEN = join('src', 'protocol', 'v2', 'gen');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated protobuf code', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'fleetsim-gen-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('matches `npm run gen` output for the current .proto files', async () => {
    const out = join(tmp, 'out');
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'buf'), ['generate', '-o', out], {
      cwd: ROOT,
      env: { ...process.env, BUF_CACHE_DIR: join(tmp, 'cache') },
    });
    const fresh = join(out, GEN);
    const committed = join(ROOT, GEN);
    const files = await listFiles(fresh);
    expect(files.length).toBeGreaterThan(0);
    expect(await listFiles(committed), 'file list differs: run `npm run gen`').toEqual(files);
    for (const file of files) {
      const [a, b] = await Promise.all([readFile(join(fresh, file), 'utf8'), readFile(join(committed, file), 'utf8')]);
      expect(b === a, `${file} is out of date: run \`npm run gen\``).toBe(true);
    }
  });
});
