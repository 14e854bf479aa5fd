/**
 * `run`, `merge` and `compare` inside GitHub Actions (GITHUB_STEP_SUMMARY pointing at a temp
 * file): the Markdown summary is appended, the `::error` lines are printed, the exit code is the
 * run's own; outside Actions none of it happens.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import type { GeneratorSummary } from '../../src/metrics/summary-types.js';
import { shardSlice } from '../../src/runner/shard.js';
import { buildShardFile, shardFileName } from '../../src/runner/shard-file.js';
import { validateScenario } from '../../src/scenario/load.js';
import { planScenario } from '../../src/scenario/plan.js';
import { handFedSummary } from '../metrics/fixtures.js';
import { manualClock, TEST_WALL_START_MS } from '../helpers/clock.js';
import { runMain, testIO } from './cli-io.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetsim-gha-cli-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The only run folder under `out`. */
async function runFolder(out: string): Promise<string> {
  const entries = await readdir(out);
  expect(entries).toHaveLength(1);
  return join(out, entries[0]!);
}

const errorLines = (stdout: string): string[] => stdout.split('\n').filter((line) => line.startsWith('::'));

describe('fleetsim run in GitHub Actions', () => {
  it('a failing run appends its Markdown summary to GITHUB_STEP_SUMMARY and prints one ::error per failed threshold (exit 10)', async () => {
    const dir = await tempDir();
    const stepSummary = join(dir, 'step-summary.md');
    await writeFile(stepSummary, '');
    // `count < 0` and `error_rate > 100%` can never hold: the run fails whatever the machine does.
    await writeFile(
      join(dir, 'gha.json'),
      JSON.stringify({
        name: 'gha-fail',
        seed: 7,
        duration: '2s',
        agents: { count: 2, rampUp: '0s' },
        thresholds: ['count < 0', 'error_rate > 100%', 'error_rate <= 100%'],
      }),
    );
    const io = testIO({ cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary } });
    const result = await runMain(['run', 'gha.json', '--out', 'reports', '--log-level', 'warn'], io);
    expect(result.code).toBe(10);
    const folder = await runFolder(join(dir, 'reports'));
    const written = await readFile(join(folder, 'summary.md'), 'utf8');
    expect(await readFile(stepSummary, 'utf8')).toBe(`${written.trimEnd()}\n\n`);
    expect(written).toContain('❌ failed');
    const runId = folder
      .split(/[\\/]/)
      .pop()!
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(errorLines(result.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^::error title=fleetsim%3A threshold failed::gha-fail \\(${runId}\\): count < 0 \\(observed [\\d,.]+\\)$`)),
      // `%` in the expression is escaped as %25 in the command's data.
      expect.stringMatching(new RegExp(`^::error title=fleetsim%3A threshold failed::gha-fail \\(${runId}\\): error_rate > 100%25 \\(observed .*%25\\)$`)),
    ]);
    // The errors come after the report line, and nothing else is a workflow command.
    expect(result.stdout.indexOf('report: ')).toBeLessThan(result.stdout.indexOf('::error'));
  });

  it('an interrupted run (SIGINT, exit 130) appends its partial summary and prints the run-interrupted error', async () => {
    const dir = await tempDir();
    const stepSummary = join(dir, 'step-summary.md');
    await writeFile(join(dir, 'long.json'), JSON.stringify({ name: 'gha-stop', seed: 7, duration: '60s', agents: { count: 2, rampUp: '0s' } }));
    const io = testIO({ cwd: dir, env: { GITHUB_STEP_SUMMARY: stepSummary } });
    const running = runMain(['run', 'long.json', '--out', 'reports', '--live', '--log-level', 'warn'], io);
    // A connected agent on the live line, not a fixed wait, decides when to interrupt.
    await io.stderr.waitFor(/agents [1-9]\d*\//);
    io.signals.emit('SIGINT');
    const result = await running;
    expect(result.code).toBe(130);
    const written = await readFile(join(await runFolder(join(dir, 'reports')), 'summary.md'), 'utf8');
    expect(written).toContain('⚠️ interrupted');
    expect(await readFile(stepSummary, 'utf8')).toBe(`${written.trimEnd()}\n\n`);
    expect(errorLines(result.stdout)).toEqual([expect.stringMatching(/^::error title=fleetsim%3A run interrupted::gha-stop \(.+\) was stopped by a signal/)]);
  });
});

describe('fleetsim run --workers in GitHub Actions', () => {
  it('the parent appends the merged run once; the workers, which inherit the environment, never do', { timeout: 180_000 }, async () => {
    const dir = await tempDir();
    const stepSummary = join(dir, 'step-summary.md');
    await writeFile(
      join(dir, 'workers.json'),
      JSON.stringify({
        name: 'gha-workers',
        seed: 7,
        duration: '2s',
        agents: { count: 2, rampUp: '0s', auth: { token: 1 } },
        // A loaded test machine must not turn the run into exit 11.
        observe: { allowSaturated: true },
        thresholds: ['count < 0'],
      }),
    );
    const io = testIO({ cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary } });
    const result = await runMain(['run', 'workers.json', '--workers', '2', '--out', 'reports', '--no-live', '--log-level', 'warn'], io);
    expect(result.code, result.stderr).toBe(10);
    const written = await readFile(join(await runFolder(join(dir, 'reports')), 'summary.md'), 'utf8');
    expect(written).toContain('merged from 2 of 2 shards');
    expect(await readFile(stepSummary, 'utf8')).toBe(`${written.trimEnd()}\n\n`);
    expect(errorLines(result.stdout)).toEqual([expect.stringMatching(/^::error title=fleetsim%3A threshold failed::gha-workers \(.+\): count < 0 /)]);
  });
});

// --- merge: shard files made by hand, as in test/runner/merge-shards.test.ts ---

const scenarioInput = { name: 'gha-merge', seed: 'g1', duration: '4s', agents: { count: 2, rampUp: '0s' }, thresholds: ['error_rate < 50%'] };
const scenario = validateScenario(scenarioInput, 'test');
const plan = planScenario(scenario);

const SATURATED: GeneratorSummary = {
  eventLoopDelayMs: { p50: 120, p99: 240, max: 400 },
  cpuPercent: { mean: 99, max: 100 },
  maxRssBytes: 100_000_000,
  seconds: 4,
  saturatedSeconds: 4,
  verdict: 'saturated',
};

async function writeShards(dir: string, options: { generator?: GeneratorSummary; stopReason?: 'completed' | 'SIGINT' } = {}): Promise<void> {
  for (const index of [0, 1]) {
    const clock = manualClock();
    const recorder = createRecorder({ clock });
    for (let i = 0; i < 100; i += 1) {
      clock.set(i * 30);
      recorder.trend(METRIC.request, 5 + (i % 7), { endpoint: ENDPOINT.reportStats });
    }
    clock.set(3000);
    recorder.gauge(METRIC.agentsConnected, 1);
    clock.set(4000);
    recorder.markEnd();
    const file = buildShardFile({
      scenario,
      plan,
      slice: shardSlice(plan, scenario, { index, count: 2 }),
      recorder: JSON.parse(JSON.stringify(recorder.encode())),
      ...(options.generator && index === 1 ? { generator: options.generator } : {}),
      meta: {
        startedAt: new Date(TEST_WALL_START_MS).toISOString(),
        endedAt: new Date(TEST_WALL_START_MS + 4000).toISOString(),
        runId: `shard-run-${index}`,
        target: 'embedded',
        stopReason: index === 1 ? (options.stopReason ?? 'completed') : 'completed',
        errored: false,
        allowSaturated: false,
      },
    });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, shardFileName(file.meta.shard)), JSON.stringify(file));
  }
}

describe('fleetsim merge in GitHub Actions', () => {
  it('an invalid merged run (a saturated shard, exit 11) appends its summary and prints the run-invalid error', async () => {
    const dir = await tempDir();
    await writeShards(join(dir, 'shards'), { generator: SATURATED });
    const stepSummary = join(dir, 'step-summary.md');
    const io = testIO({ cwd: dir, env: { GITHUB_STEP_SUMMARY: stepSummary } });
    const result = await runMain(['merge', 'shards', '--out', 'reports', '--log-level', 'silent'], io);
    expect(result.code).toBe(11);
    const folder = await runFolder(join(dir, 'reports'));
    const written = await readFile(join(folder, 'summary.md'), 'utf8');
    expect(written).toContain('🚫 invalid');
    expect(await readFile(stepSummary, 'utf8')).toBe(`${written.trimEnd()}\n\n`);
    const lines = errorLines(result.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^::error title=fleetsim%3A run invalid::gha-merge \(\d{8}-\d{6}-gha-merge-merged-[^)]+\): This run is invalid: the harness was saturated/,
    );
  });

  it('an interrupted merged run (exit 130) says so; a passed one appends its summary and prints no error', async () => {
    const dir = await tempDir();
    await writeShards(join(dir, 'stopped'), { stopReason: 'SIGINT' });
    await writeShards(join(dir, 'clean'));
    const stepSummary = join(dir, 'step-summary.md');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary };
    const stopped = await runMain(['merge', 'stopped', '--out', 'out-stopped', '--log-level', 'silent'], testIO({ cwd: dir, env }));
    expect(stopped.code).toBe(130);
    expect(errorLines(stopped.stdout)).toEqual([expect.stringMatching(/^::error title=fleetsim%3A run interrupted::gha-merge \(.+\) was stopped by a signal/)]);
    const clean = await runMain(['merge', 'clean', '--out', 'out-clean', '--log-level', 'silent'], testIO({ cwd: dir, env }));
    expect(clean.code).toBe(0);
    expect(errorLines(clean.stdout)).toEqual([]);
    // Both blocks, in order, in the one step summary.
    const text = await readFile(stepSummary, 'utf8');
    const interrupted = text.indexOf('⚠️ interrupted');
    const passed = text.indexOf('✅ passed');
    expect(interrupted).toBeGreaterThanOrEqual(0);
    expect(passed).toBeGreaterThan(interrupted);
  });
});

describe('fleetsim compare in GitHub Actions', () => {
  async function summaries(): Promise<string> {
    const dir = await tempDir();
    const baseline = handFedSummary({ coordinator: true });
    const current = handFedSummary({ coordinator: true });
    current.endpoints['POST /me/report-stats']!.p99 = 130;
    await writeFile(join(dir, 'base.json'), JSON.stringify(baseline));
    await writeFile(join(dir, 'cur.json'), JSON.stringify(current));
    return dir;
  }

  it('a regression appends the Markdown comparison (whatever --format) and prints one ::error per regressed row (exit 10)', async () => {
    const dir = await summaries();
    const stepSummary = join(dir, 'step-summary.md');
    const result = await runMain(['compare', 'base.json', 'cur.json'], testIO({ cwd: dir, env: { GITHUB_STEP_SUMMARY: stepSummary } }));
    expect(result.code).toBe(10);
    const text = await readFile(stepSummary, 'utf8');
    expect(text).toMatch(/^## fleetsim comparison: /);
    expect(text).toMatch(/\| `p99 POST \/me\/report-stats` \| .* \| ❌ \|/);
    // stdout keeps the text table the user asked for, then the errors.
    expect(result.stdout).toMatch(/p99 POST \/me\/report-stats .* REGRESSION/);
    expect(errorLines(result.stdout)).toEqual([expect.stringMatching(/^::error title=fleetsim%3A regression::.*p99 POST \/me\/report-stats .*→ 130/)]);
  });

  it('an unwritable GITHUB_STEP_SUMMARY is a warning and the exit code stays 10', async () => {
    const dir = await summaries();
    // A folder where the file should be: refused even for root.
    const result = await runMain(['compare', 'base.json', 'cur.json'], testIO({ cwd: dir, env: { GITHUB_STEP_SUMMARY: dir } }));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/fleetsim: warning: could not append the summary to GITHUB_STEP_SUMMARY .*the exit code is unchanged/);
    expect(errorLines(result.stdout)).toHaveLength(1);
  });

  it('outside GitHub Actions nothing is appended and no workflow command is printed', async () => {
    const dir = await summaries();
    const result = await runMain(['compare', 'base.json', 'cur.json'], testIO({ cwd: dir, env: { GITHUB_ACTIONS: 'false' } }));
    expect(result.code).toBe(10);
    expect(result.stdout).not.toContain('::');
    expect(result.stderr).toBe('');
    expect((await readdir(dir)).sort()).toEqual(['base.json', 'cur.json']);
  });
});
