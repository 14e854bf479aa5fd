import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder, type Recorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { loadCheckedShards, mergeShardSummary } from '../../src/runner/merge-shards.js';
import { shardSlice } from '../../src/runner/shard.js';
import { buildShardFile, shardFileName, type ShardFile } from '../../src/runner/shard-file.js';
import { validateScenario } from '../../src/scenario/load.js';
import { planScenario } from '../../src/scenario/plan.js';
import { runMain, testIO } from '../cli/cli-io.js';
import { manualClock, TEST_WALL_START_MS } from '../helpers/clock.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetsim-merge-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const input = {
  name: 'merge',
  seed: 'm1',
  duration: '4s',
  agents: { count: 4, rampUp: '0s' },
  thresholds: ['p99(POST /me/report-stats) < 5s', 'error_rate < 50%'],
};
const scenario = validateScenario(input, 'test');
const plan = planScenario(scenario);
const silent = createLogger({ level: 'silent' });
const STREAMS = 2;

/**
 * Two shards' recorders and one recorder that saw both streams: 4000 samples over 3 s on two
 * endpoints, a few errors, each shard's own agents_connected gauge (2 + 2).
 */
function feed(): { all: Recorder; shards: Recorder[] } {
  const clocks = Array.from({ length: STREAMS + 1 }, () => manualClock());
  const all = createRecorder({ clock: clocks[0]! });
  const shards = [1, 2].map((i) => createRecorder({ clock: clocks[i]!, startedAtMs: all.startedAtMs }));
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const times = Array.from({ length: 4000 }, () => Math.floor(rnd() * 3000)).sort((x, y) => x - y);
  let ramping = true;
  times.forEach((t, i) => {
    if (ramping && t >= 1000) {
      // Every stream's ramp ends at 1 s: the merged phases must equal the one recorder's.
      ramping = false;
      for (const clock of clocks) clock.set(1000);
      for (const r of [all, ...shards]) r.markSteady();
    }
    const ms = rnd() < 0.02 ? 300 + rnd() * 2000 : rnd() * 30;
    const endpoint = rnd() < 0.5 ? ENDPOINT.reportStats : ENDPOINT.metadata;
    const k = i % STREAMS;
    for (const [rec, clock] of [
      [all, clocks[0]!],
      [shards[k]!, clocks[k + 1]!],
    ] as const) {
      clock.set(t);
      rec.trend(METRIC.request, ms, { endpoint });
      if (ms > 1000) rec.count(METRIC.error, 1, { endpoint, class: 'timeout' });
      if (i < 4) rec.count(METRIC.agentsAuthenticated, 1);
    }
  });
  for (const clock of clocks) clock.set(3000);
  all.gauge(METRIC.agentsConnected, 4);
  for (const r of shards) r.gauge(METRIC.agentsConnected, 2);
  for (const clock of clocks) clock.set(4000);
  for (const r of [all, ...shards]) r.markEnd();
  return { all, shards };
}

const END = new Date(TEST_WALL_START_MS + 4000).toISOString();
const START = new Date(TEST_WALL_START_MS).toISOString();

function shardFile(
  recorder: Recorder,
  index: number,
  count: number,
  overrides: { scenario?: typeof scenario; stopReason?: 'completed' | 'SIGINT' } = {},
): ShardFile {
  const s = overrides.scenario ?? scenario;
  return buildShardFile({
    scenario: s,
    plan: planScenario(s),
    slice: shardSlice(planScenario(s), s, { index, count }),
    recorder: JSON.parse(JSON.stringify(recorder.encode())),
    meta: {
      startedAt: START,
      endedAt: END,
      runId: `run-${index}`,
      target: 'embedded',
      stopReason: overrides.stopReason ?? 'completed',
      errored: false,
      allowSaturated: false,
    },
  });
}

async function writeShards(files: ShardFile[], dir?: string): Promise<string[]> {
  const folder = dir ?? (await tempDir());
  const paths: string[] = [];
  for (const [i, file] of files.entries()) {
    const sub = join(folder, `from-${i}`);
    await mkdir(sub, { recursive: true });
    const path = join(sub, shardFileName(file.meta.shard));
    await writeFile(path, JSON.stringify(file));
    paths.push(path);
  }
  return paths;
}

describe('merging shards', () => {
  it('equals one recorder fed both streams: percentiles, counts, per-second series, thresholds', async () => {
    const { all, shards } = feed();
    const paths = await writeShards(shards.map((r, i) => shardFile(r, i, STREAMS)));
    const checked = await loadCheckedShards({ paths, cwd: '/' });
    const { summary: merged, exitCode } = mergeShardSummary(checked, { log: silent, runId: 'merged' });
    const one = buildSummary(all, { meta: { ...merged.meta, shards: undefined }, plan, agentsPlanned: plan.peakAgents });

    expect(merged.endpoints).toEqual(one.endpoints);
    expect(merged.phases).toEqual(one.phases);
    expect(merged.phases!.steady).toMatchObject({ from: 1000, to: 4000 });
    expect(merged.totals).toEqual(one.totals);
    expect(merged.errors).toEqual(one.errors);
    expect(merged.timeSeries).toEqual(one.timeSeries);
    expect(merged.agents).toEqual(one.agents);
    expect(merged.metrics.trends).toEqual(one.metrics.trends);
    expect(merged.agents).toMatchObject({ planned: 4, connected: 4, authenticated: 4 });
    expect(merged.thresholds.map((t) => t.pass)).toEqual([true, true]);
    expect(merged.outcome).toBe('passed');
    expect(exitCode).toBe(0);
    expect(merged.meta.shards).toMatchObject({ count: 2, merged: [0, 1], missing: [], partial: false, embeddedServers: 2 });
  });

  it('keeps the GC section of the shard with the longest pause (GC figures do not add across processes)', async () => {
    const { shards } = feed();
    const generator = (maxPauseMs: number) => ({
      eventLoopDelayMs: { p50: 1, p99: 2, max: 3 },
      cpuPercent: { mean: 10, max: 20 },
      maxRssBytes: 1,
      seconds: 4,
      saturatedSeconds: 0,
      verdict: 'ok' as const,
      gc: {
        totalPauseMs: maxPauseMs * 2,
        pausedPercent: 1,
        pauses: 2,
        maxPauseMs,
        maxPauseKind: 'major' as const,
        majorCount: 1,
        majorPauseMs: maxPauseMs,
        worstSecond: 1,
        worstSecondPauseMs: maxPauseMs,
        byKind: {},
        longPauses: [],
        longPauseMs: 50,
      },
    });
    const files = shards.map((r, i) => ({ ...shardFile(r, i, STREAMS), generator: generator(i === 0 ? 30 : 120) }));
    const checked = await loadCheckedShards({ paths: await writeShards(files), cwd: '/' });
    const { summary } = mergeShardSummary(checked, { log: silent, runId: 'merged' });
    expect(summary.generator?.gc).toEqual(generator(120).gc);
  });

  it('refuses shards of another run, a shard given twice and a missing shard, with exact messages', async () => {
    const { shards } = feed();
    const other = validateScenario({ ...input, duration: '5s' }, 'test');
    const dir = await tempDir();
    const [a, b] = await writeShards([shardFile(shards[0]!, 0, 2), shardFile(shards[1]!, 1, 2)], dir);
    const [c] = await writeShards([shardFile(shards[1]!, 1, 2, { scenario: other })], join(dir, 'other'));
    const [d] = await writeShards([shardFile(shards[1]!, 1, 3)], join(dir, 'three'));
    const reseeded = shardFile(shards[1]!, 1, 2);
    reseeded.meta.seed = 'm2';
    const [e] = await writeShards([reseeded], join(dir, 'seed'));
    const refuse = async (paths: string[]): Promise<{ code: number; stderr: string }> => {
      const result = await runMain(['merge', ...paths.map((p) => p.slice(dir.length + 1)), '--out', 'out'], testIO({ cwd: dir }));
      expect(result.code).toBe(2);
      return result;
    };
    const firstLine = (text: string) => text.split('\n')[0];
    const hashOf = (file: ShardFile) => file.meta.scenarioHash.slice(0, 12);
    expect(firstLine((await refuse([a!, c!])).stderr)).toBe(
      `fleetsim: other/from-0/shard-1-of-2.json is not from the same run as from-0/shard-0-of-2.json: its scenario hash is ${hashOf(shardFile(shards[1]!, 1, 2, { scenario: other }))}, not ${hashOf(shardFile(shards[0]!, 0, 2))}`,
    );
    expect(firstLine((await refuse([a!, d!])).stderr)).toBe(
      'fleetsim: three/from-0/shard-1-of-3.json is not from the same run as from-0/shard-0-of-2.json: its shard count is 3, not 2',
    );
    expect(firstLine((await refuse([a!, e!])).stderr)).toBe(
      'fleetsim: seed/from-0/shard-1-of-2.json is not from the same run as from-0/shard-0-of-2.json: its seed is "m2", not "m1"',
    );
    expect(firstLine((await refuse([a!, b!, b!])).stderr)).toBe('fleetsim: shard 1 of 2 is given twice: from-1/shard-1-of-2.json and from-1/shard-1-of-2.json');
    const missing = await refuse([a!]);
    expect(missing.stderr).toBe(
      'fleetsim: missing shard 1 of 2 (have 0)\n  hint: pass every shard file of the run, or --allow-partial to merge what is there (the report says so)\n',
    );
    expect(firstLine((await refuse([join(dir, 'nothing-here.json')])).stderr)).toBe('fleetsim: nothing-here.json: no such file or folder');
    await writeFile(join(dir, 'shard-0-of-1.json'), '{"format":"something-else"}');
    expect(firstLine((await refuse([join(dir, 'shard-0-of-1.json')])).stderr)).toBe(
      `fleetsim: shard-0-of-1.json is not a fleetsim shard file (format fleetsim-shard version 1)`,
    );
    await expect(readdir(dir)).resolves.not.toContain('out');
  });

  it('fleetsim merge writes every report with meta.shards and exits like run; --allow-partial says what is missing', async () => {
    const { shards } = feed();
    const dir = await tempDir();
    await writeShards([shardFile(shards[0]!, 0, 2), shardFile(shards[1]!, 1, 2)], join(dir, 'shards'));
    const io = testIO({ cwd: dir });
    const full = await runMain(['merge', 'shards', '--out', 'reports'], io);
    expect(full.code).toBe(0);
    const [runDir] = await readdir(join(dir, 'reports'));
    const files = await readdir(join(dir, 'reports', runDir!));
    expect(files.sort()).toEqual(['junit.xml', 'report.html', 'summary.json', 'summary.md']);
    const summary = JSON.parse(await readFile(join(dir, 'reports', runDir!, 'summary.json'), 'utf8'));
    expect(summary.meta.shards).toMatchObject({ count: 2, merged: [0, 1], partial: false });
    expect(await readFile(join(dir, 'reports', runDir!, 'summary.md'), 'utf8')).toContain('merged from 2 of 2 shards');
    expect(full.stdout).toContain('shards       merged from 2 of 2 shards');

    // Only shard 1: half the fleet, so connected_ratio-like figures fail; the report says partial.
    const partialDir = await tempDir();
    const strict = validateScenario({ ...input, thresholds: ['error_rate < 50%', 'connected_ratio >= 0.99'] }, 'test');
    await writeShards([shardFile(shards[1]!, 1, 2, { scenario: strict })], partialDir);
    const partial = await runMain(['merge', partialDir, '--out', join(partialDir, 'out'), '--allow-partial'], testIO());
    expect(partial.code).toBe(10);
    expect(partial.stderr).toContain('partial merge: shard 0 of 2 missing; the figures cover 1 of 2 shards');
    expect(partial.stdout).toContain('PARTIAL: merged 1 of 2 shards (missing 0)');
    const [partialRun] = await readdir(join(partialDir, 'out'));
    const partialSummary = JSON.parse(await readFile(join(partialDir, 'out', partialRun!, 'summary.json'), 'utf8'));
    expect(partialSummary.meta.shards).toMatchObject({ merged: [1], missing: [0], partial: true });
    expect(partialSummary.outcome).toBe('failed');

    // A shard stopped by SIGINT makes the merged run interrupted (exit 130).
    const stoppedDir = await tempDir();
    await writeShards([shardFile(shards[0]!, 0, 2), shardFile(shards[1]!, 1, 2, { stopReason: 'SIGINT' })], stoppedDir);
    const stopped = await runMain(['merge', stoppedDir, '--out', join(stoppedDir, 'out')], testIO());
    expect(stopped.code).toBe(130);
  });

  it('the shard file holds no secret of a remote target (credentials path, user:password)', () => {
    const remote = validateScenario(
      { ...input, target: { url: 'https://bob:hunter2@coder.example.com', credentials: '/secret/place/credentials.json' } },
      'test',
    );
    const { shards } = feed();
    const text = JSON.stringify(shardFile(shards[0]!, 0, 2, { scenario: remote }));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('/secret/place');
    expect(text).toContain('https://coder.example.com');
  });
});
