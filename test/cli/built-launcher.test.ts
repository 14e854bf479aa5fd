/**
 * The CLI as users start it: bin/fleetsim.js → dist/ (the build `npm test` and `prepare` make).
 * Which packages a command loads is checked through a module-load hook in a fresh process: the
 * commands that need nothing heavy must not load it, and TypeScript (tsx) is loaded only for a
 * TypeScript scenario. The embedded server's child runs from dist/ with plain node.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './cli-io.js';
import { SERVER_V8_FLAGS } from '../../src/server/server-process.js';

const DIST = join(REPO, 'dist');
let dir = '';

beforeAll(async () => {
  if (!existsSync(join(DIST, 'bin.js'))) throw new Error('dist/ is missing: npm test builds it; alone, run `npm run build` first');
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-launcher-'));
  // Appends every file URL Node loads through the ES module loader (entry points of CommonJS
  // packages included) to the file named by FLEETSIM_TEST_LOADS.
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:') && process.env.FLEETSIM_TEST_LOADS) appendFileSync(process.env.FLEETSIM_TEST_LOADS, url + '\\n');
  return next(url, context);
}\n`;
  await writeFile(join(dir, 'hooks.mjs'), hooks);
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  await writeFile(join(dir, 'plan.json'), JSON.stringify({ name: 'lazy-json', duration: '5s', agents: { count: 2 } }));
  await writeFile(join(dir, 'plan.ts'), `const count: number = 2;\nexport default { name: 'lazy-ts', duration: '5s', agents: { count } };\n`);
  // A .mjs scenario that imports TypeScript: JavaScript scenarios load without tsx.
  await writeFile(join(dir, 'helper.ts'), 'const n: number = 3;\nexport default n;\n');
  await writeFile(join(dir, 'uses-ts.mjs'), `import n from './helper.ts';\nexport default { name: 'js-uses-ts', duration: '5s', agents: { count: n } };\n`);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Launch {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages under node_modules the process loaded (e.g. "zod", "@faker-js/faker"). */
  packages: Set<string>;
}

async function launch(args: string[], name: string): Promise<Launch> {
  const loads = join(dir, `${name}.loads`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(REPO, 'bin', 'fleetsim.js'), ...args], {
    cwd: dir,
    env: { ...process.env, FLEETSIM_TEST_LOADS: loads },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const urls = existsSync(loads) ? (await readFile(loads, 'utf8')).split('\n').filter(Boolean) : [];
  const packages = new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => p !== undefined));
  return { code, stdout, stderr, packages };
}

/** What no command needs before it runs something: the runner's, clients' and server's packages. */
const RUN_ONLY = ['tsx', 'undici', 'ws', 'autocannon', '@faker-js/faker', 'prom-client', 'hdr-histogram-js', '@bufbuild/protobuf', 'node-forge'];

describe('the built launcher loads only what a command needs', () => {
  it('--version: yargs and nothing heavier', async () => {
    const result = await launch(['--version'], 'version');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.packages.has('yargs')).toBe(true); // the hook saw the loads
    for (const name of [...RUN_ONLY, 'zod']) expect(result.packages, name).not.toContain(name);
  }, 60_000);

  it('plan of a JSON scenario: the schema (zod), no TypeScript, nothing of a run', async () => {
    const result = await launch(['plan', 'plan.json'], 'plan-json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Scenario "lazy-json"');
    expect(result.packages).toContain('zod');
    for (const name of RUN_ONLY) expect(result.packages, name).not.toContain(name);
  }, 60_000);

  it('plan of a TypeScript scenario: tsx is loaded for it', async () => {
    const result = await launch(['plan', 'plan.ts'], 'plan-ts');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Scenario "lazy-ts"');
    expect(result.packages).toContain('tsx');
  }, 60_000);

  it('a JavaScript scenario that imports TypeScript: exit 3, with the way out', async () => {
    const result = await launch(['plan', 'uses-ts.mjs'], 'uses-ts');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Unknown file extension ".ts"');
    expect(result.stderr).toContain('name the scenario file .ts (or .mts)');
  }, 60_000);
});

describe('the embedded server from dist/', () => {
  it('starts its child from dist/ with plain node (no tsx)', async () => {
    const script = `import { startReferenceServerProcess } from ${JSON.stringify(pathToFileURL(join(DIST, 'server', 'server-process.js')).href)};
import { readFileSync } from 'node:fs';
const s = await startReferenceServerProcess({ agents: 1, identity: false });
try {
  const argv = readFileSync('/proc/' + s.pid + '/cmdline', 'utf8').split('\\0').filter(Boolean);
  const res = await fetch(s.url + '/api/v2/workspaceagents/me/metadata');
  process.stdout.write(JSON.stringify({ argv, status: res.status }) + '\\n');
} finally {
  await s.close();
}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { argv, status } = JSON.parse(stdout) as { argv: string[]; status: number };
    // The server process's V8 flags, then the compiled entry: no loader.
    expect(argv.slice(1)).toEqual([...SERVER_V8_FLAGS, join(DIST, 'server', 'child-entry.js')]);
    expect(argv.join(' ')).not.toContain('tsx');
    expect(status).toBe(401); // served: a request without an agent token is refused
  }, 60_000);
});
