import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLocation } from '../../src/scenario/load.js';
import { REPO, runMain, testIO } from './cli-io.js';

// Scenario files outside the checkout, in a folder with no package.json (so Node treats .ts and
// .js there as CommonJS), and in a "project" folder with fleetsim installed in node_modules.
let dir = '';
let project = '';
const BODY = (name: string) => `{ name: ${JSON.stringify(name)}, duration: '5s', agents: { count: 2 } }`;
const FILES: Record<string, string> = {
  'plain.ts': `const d: string = '5s';\nexport default ${BODY('plain-ts')};\n`,
  'plain.mts': `export default ${BODY('plain-mts')};\n`,
  'plain.js': `export default ${BODY('plain-js')};\n`,
  'common.js': `module.exports = ${BODY('common-js')};\n`,
  'plain.mjs': `export default ${BODY('plain-mjs')};\n`,
  'plain.json': JSON.stringify({ name: 'plain-json', duration: '5s', agents: { count: 2 } }),
  'throws.ts': `const ready = false;\nif (!ready) throw new Error('set FLEET_URL first');\nexport default ${BODY('never')};\n`,
  'syntax.ts': `export default { name: 'x', duration: ;\n`,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-scenarios-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  // `npm i -D fleetsim` in the user's repo, simulated by a link to this checkout.
  project = join(dir, 'project');
  await mkdir(join(project, 'node_modules'), { recursive: true });
  await symlink(REPO, join(project, 'node_modules', 'fleetsim'), 'dir');
  const typed = `import { defineScenario } from 'fleetsim';\nexport default defineScenario(${BODY('uses-fleetsim')});\n`;
  await writeFile(join(project, 'uses-fleetsim.ts'), typed);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scenario files from any folder (in process)', () => {
  it.each([
    ['plain.ts', 'plain-ts'],
    ['plain.mts', 'plain-mts'],
    ['plain.js', 'plain-js'],
    ['plain.mjs', 'plain-mjs'],
    ['common.js', 'common-js'],
    ['plain.json', 'plain-json'],
  ])('plans %s', async (file, name) => {
    const result = await runMain(['plan', file], testIO({ cwd: dir }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Scenario "${name}"`);
  });

  it("shows a scenario's own error and its location (exit 3)", async () => {
    const result = await runMain(['plan', join(dir, 'throws.ts')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the scenario module failed to load: set FLEET_URL first');
    expect(result.stderr).toContain(`${join(dir, 'throws.ts')}:2:`);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no loader stack
  });
});

describe('errorLocation', () => {
  it("prefers the scenario's own frame, then the first user frame, never node internals", () => {
    // The user's scenarios live in their own folder outside the checkout; the frames name it
    // both as a path and as a file URL, as Node prints them.
    const user = join(homedir(), 'scenarios');
    const stack = `Error: x\n    at f (node:internal/modules/cjs/loader:1:2)\n    at g (/repo/node_modules/tsx/a.js:3:4)\n    at h (${join(user, 'helper.ts')}:5:6)\n    at ${pathToFileURL(join(user, 's.ts')).href}:7:8`;
    expect(errorLocation(join(user, 's.ts'), stack)).toBe(`${join(user, 's.ts')}:7:8`);
    expect(errorLocation(join(user, 'other.ts'), stack)).toBe(`${join(user, 'helper.ts')}:5:6`);
    expect(errorLocation('/x.ts', 'Error: x\n    at node:internal/modules/cjs/loader:1207:15')).toBeUndefined();
  });
});

/** Runs the real launcher (bin/fleetsim.js): loader registration is per process, so only a fresh one shows it. */
function fleetsim(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'fleetsim.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scenario files through the real launcher', () => {
  it('loads .ts from a CommonJS folder outside the checkout, resolves `fleetsim` where it is installed, and locates errors', async () => {
    // Four launcher processes (each starts tsx): the cases the in-process loader cannot show.
    const [plainTs, usesTs, throws, syntax] = await Promise.all([
      fleetsim(['plan', 'plain.ts'], dir),
      fleetsim(['plan', 'uses-fleetsim.ts'], project),
      fleetsim(['plan', 'throws.ts'], dir),
      fleetsim(['plan', 'syntax.ts'], dir),
    ]);
    expect(plainTs).toMatchObject({ code: 0, stderr: '' });
    expect(plainTs.stdout).toContain('Scenario "plain-ts"');
    expect(usesTs).toMatchObject({ code: 0, stderr: '' });
    expect(usesTs.stdout).toContain('Scenario "uses-fleetsim"');
    expect(throws.code).toBe(3);
    expect(throws.stderr).toContain(`throws.ts: the scenario module failed to load: set FLEET_URL first (at ${join(dir, 'throws.ts')}:2:`);
    expect(throws.stderr).not.toContain('in a cycle');
    expect(syntax.code).toBe(3);
    expect(syntax.stderr).toMatch(new RegExp(`syntax error: .* \\(at ${join(dir, 'syntax.ts').replace(/[.]/g, '\\.')}:1:\\d+\\)`));
  }, 90_000);
});
