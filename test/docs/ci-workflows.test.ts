/**
 * The repository's own workflow and the ready one in docs/ci.md: they parse (as the block YAML
 * GitHub workflows use; test/helpers/yaml-outline.ts, no YAML dependency), do what the docs say,
 * and the fleetsim commands the user workflow runs are the real CLI's argument form.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runMain, testIO } from '../cli/cli-io.js';
import { parseYamlOutline, type YamlValue } from '../helpers/yaml-outline.js';
import { handFedSummary } from '../metrics/fixtures.js';

type Step = Record<string, YamlValue> & { uses?: string; run?: string; with?: Record<string, string> };

function map(value: YamlValue | undefined, what: string): Record<string, YamlValue> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function steps(workflow: YamlValue, job: string): Step[] {
  const list = map(map(map(workflow, 'workflow').jobs, 'jobs')[job], job).steps;
  if (!Array.isArray(list)) throw new Error(`${job}.steps is not a list`);
  return list.map((s, i) => map(s, `step ${i}`) as Step);
}

const usesOf = (list: Step[], action: string): Step | undefined => list.find((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the YAML reader the checks rely on', () => {
  it('reads mappings, sequences of mappings, block scalars and comments; rejects what it cannot read', () => {
    const doc = parseYamlOutline(
      [
        'on:',
        '  push:',
        '    branches: [main]   # a comment',
        'jobs:',
        '  a:',
        '    steps:',
        '      - uses: x/y@v1',
        '        with:',
        "          node-version: '20'",
        '      - run: |',
        '          echo "a # not a comment"',
        '',
        '          exit 0',
        '      - run: npm ci',
      ].join('\n'),
    );
    expect(doc).toEqual({
      on: { push: { branches: '[main]' } },
      jobs: { a: { steps: [{ uses: 'x/y@v1', with: { 'node-version': '20' } }, { run: 'echo "a # not a comment"\n\nexit 0\n' }, { run: 'npm ci' }] } },
    });
    expect(() => parseYamlOutline('a:\n\tb: 1')).toThrow(/tabs/);
    expect(() => parseYamlOutline('a: 1\n    b: 2')).toThrow(/indentation/);
    expect(() => parseYamlOutline('a:\n  just text')).toThrow(/expected "key: value"/);
  });
});

describe('.github/workflows/ci.yml', () => {
  const workflow = parseYamlOutline(readFileSync(join(REPO, '.github/workflows/ci.yml'), 'utf8'));

  it('runs on pushes to main and on pull requests', () => {
    const on = map(map(workflow, 'workflow').on, 'on');
    expect(Object.keys(on).sort()).toEqual(['pull_request', 'push']);
  });

  it('checks out, sets up Node 20 and runs .ci/run (which exists and is executable)', () => {
    const list = steps(workflow, 'test');
    const checkout = list.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
    const node = list.findIndex((s) => s.uses?.startsWith('actions/setup-node@'));
    const run = list.findIndex((s) => s.run === '.ci/run');
    expect(checkout).toBe(0);
    expect(node).toBeGreaterThan(checkout);
    expect(run).toBeGreaterThan(node);
    expect(list[node]!.with?.['node-version']).toBe('20');
    expect(() => accessSync(join(REPO, '.ci/run'), constants.X_OK)).not.toThrow();
  });
});

describe('the ready workflow in docs/ci.md', () => {
  const doc = readFileSync(join(REPO, 'docs/ci.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const workflow = parseYamlOutline(blocks[0] ?? '');
  const list = steps(workflow, 'fleetsim');
  const env = map(map(workflow, 'workflow').env, 'env') as Record<string, string>;

  it('is one YAML block: checkout, Node 20, npm ci, the run, reports/ uploaded, junit.xml published, compare with the baseline', () => {
    expect(blocks).toHaveLength(1);
    expect(usesOf(list, 'actions/checkout')).toBeDefined();
    expect(usesOf(list, 'actions/setup-node')?.with?.['node-version']).toBe('20');
    expect(list.some((s) => s.run === 'npm ci')).toBe(true);
    expect(list.some((s) => typeof s.run === 'string' && s.run.includes('npx fleetsim run "$SCENARIO" --out reports'))).toBe(true);
    const uploads = list.filter((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(uploads.map((s) => s.with?.path)).toContain('reports/');
    // The reports upload runs whatever happened to the run (a failed or interrupted run has the most to show).
    expect(uploads.find((s) => s.with?.path === 'reports/')?.if).toBe('always()');
    expect(usesOf(list, 'mikepenz/action-junit-report')?.with?.report_paths).toMatch(/junit\.xml$/);
    expect(list.some((s) => typeof s.run === 'string' && s.run.startsWith('npx fleetsim compare baseline/summary.json '))).toBe(true);
    expect(existsSync(join(REPO, env.SCENARIO ?? 'missing'))).toBe(true);
  });

  it('its compare command is the real CLI argument form: it runs, and exits 0 on equal summaries', async () => {
    const line = list.map((s) => s.run).find((r): r is string => typeof r === 'string' && r.startsWith('npx fleetsim compare'))!;
    const dir = await mkdtemp(join(tmpdir(), 'fleetsim-ci-doc-'));
    temps.push(dir);
    await mkdir(join(dir, 'baseline'));
    await mkdir(join(dir, 'reports', 'run-1'), { recursive: true });
    const summary = JSON.stringify(handFedSummary({ coordinator: true }));
    await writeFile(join(dir, 'baseline', 'summary.json'), summary);
    await writeFile(join(dir, 'reports', 'run-1', 'summary.json'), summary);
    const vars: Record<string, string> = { RUN_DIR: 'reports/run-1', TOLERANCE: env.TOLERANCE ?? 'unset' };
    const argv = line
      .trim()
      .split(/\s+/)
      .slice(2)
      .map((arg) => arg.replace(/^"(.*)"$/, '$1').replace(/\$(\w+)/g, (_, name: string) => vars[name] ?? `$${name}`));
    expect(argv).toEqual(['compare', 'baseline/summary.json', 'reports/run-1/summary.json', '--tolerance', '10']);
    const result = await runMain(argv, testIO({ cwd: dir }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no regressions (tolerance 10%)');
  });
});
