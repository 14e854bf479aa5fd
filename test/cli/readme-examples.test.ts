import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadScenario } from '../../src/scenario/load.js';
import { planScenario } from '../../src/scenario/plan.js';
import { REPO, testIO } from './cli-io.js';

let readme = '';
let dir = '';
beforeAll(async () => {
  readme = await readFile(join(REPO, 'README.md'), 'utf8');
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-readme-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The first README line starting with `prefix`, as argv (after `npx fleetsim`), comments dropped. */
function readmeCommand(prefix: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith(prefix));
  expect(line, `README has a line starting with ${prefix}`).toBeDefined();
  return line!.replace(/#.*$/, '').trim().split(/\s+/).slice(2);
}

/** Replaces the value after each `--flag` named in `values`. */
function withValues(argv: string[], values: Record<string, string>): string[] {
  return argv.map((arg, i) => (i > 0 && argv[i - 1]!.startsWith('--') && values[argv[i - 1]!.slice(2)] !== undefined ? values[argv[i - 1]!.slice(2)]! : arg));
}

describe('README examples', () => {
  it('scenarios that ramp down to 0 gate on peak_connected_ratio, not on who is left at the end', async () => {
    for (const file of await readdir(join(REPO, 'scenarios'))) {
      const scenario = await loadScenario(join(REPO, 'scenarios', file));
      const endsAtZero = planScenario(scenario).phases.at(-1)?.to === 0;
      if (endsAtZero)
        expect(
          scenario.thresholds.filter((t) => t.startsWith('connected_ratio')),
          file,
        ).toEqual([]);
    }
  });

  it('serve + run scenarios/steady-fleet.ts passes its own thresholds (scaled to 20 agents, 10 s), and summary.json matches the documented schema', async () => {
    const serveArgv = readmeCommand('npx fleetsim serve --port');
    const runArgv = readmeCommand('npx fleetsim run scenarios/steady-fleet.ts --target');
    expect(serveArgv.slice(0, 1)).toEqual(['serve']);
    expect(runArgv.slice(0, 2)).toEqual(['run', 'scenarios/steady-fleet.ts']);
    const credentials = join(dir, 'fleet.json');
    const out = join(dir, 'reports');

    const serveIO = testIO();
    const serving = main(withValues(serveArgv, { port: '0', agents: '20', credentials }), serveIO);
    try {
      const [, url] = await serveIO.stdout.waitFor(/^listening on (\S+)\n/);
      const runIO = testIO();
      const code = await main([...withValues(runArgv, { target: url!, credentials, agents: '20', duration: '10s' }), '--out', out, '--no-live'], runIO);
      expect(runIO.stderr.text).not.toMatch(/\[(warn|error)\]/);
      expect(runIO.stdout.text).toMatch(/✓ peak_connected_ratio >= 0\.99/);
      expect(code).toBe(0);
    } finally {
      serveIO.signals.emit('SIGINT');
      expect(await serving).toBe(0);
    }

    const [runDir] = await readdir(out);
    const summary = JSON.parse(await readFile(join(out, runDir!, 'summary.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const schema = readme.slice(readme.indexOf('{ "schemaVersion": 1'), readme.indexOf('```', readme.indexOf('{ "schemaVersion": 1')));
    const documented = (key: string) => schema.includes(`"${key}"`);
    for (const key of Object.keys(summary)) expect(documented(key), `summary.json key "${key}" is documented`).toBe(true);
    for (const section of ['meta', 'plan', 'agents', 'totals', 'metrics']) {
      for (const key of Object.keys(summary[section]!)) expect(documented(key), `summary.json ${section}.${key} is documented`).toBe(true);
    }
  }, 60_000);
});
