import type { RunSummary } from '../../src/metrics/summary-types.js';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureAgents, fixtureUser } from '../../src/server/fixtures.js';
import { runMain, testIO } from '../cli/cli-io.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetsim-workers-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const SEED = 'workers-smoke';
const AGENTS = 6;

/** A smoke-like scenario small enough for a test: 6 agents, 3 s, token auth, embedded server. */
async function scenarioFile(dir: string, duration = '3s'): Promise<string> {
  const file = join(dir, 'small.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'workers-smoke',
      seed: SEED,
      duration,
      server: { reportInterval: '1s', rateLimit: -1 },
      agents: { count: AGENTS, rampUp: '1s', auth: { token: 1 }, lifecycle: { startupDuration: '0s' } },
      // A loaded test machine must not turn the comparison into exit 11.
      observe: { allowSaturated: true },
      thresholds: ['connected_ratio >= 0.99'],
    }),
  );
  return file;
}

async function readRun(out: string): Promise<{ dir: string; summary: RunSummary }> {
  const [runDir] = await readdir(out);
  const dir = join(out, runDir!);
  return { dir, summary: JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) };
}

async function shardFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => /shard-\d+-of-\d+\.json$/.test(e)).map((e) => join(dir, e));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const pidsOf = (stderr: string): number[] => [...stderr.matchAll(/worker \d+\/\d+ started \(pid (\d+)\)/g)].map((m) => Number(m[1]));

describe('run --workers N (local shard processes)', () => {
  it('--workers 2 gives the same agent totals as --workers 1, and no shard file holds a token', { timeout: 180_000 }, async () => {
    const dir = await tempDir();
    const file = await scenarioFile(dir);
    const [one, two] = await Promise.all(
      [1, 2].map((n) => runMain(['run', file, '--workers', String(n), '--out', join(dir, `w${n}`), '--no-live'], testIO({ cwd: dir }))),
    );
    expect(one!.code, one!.stderr).toBe(0);
    expect(two!.code, two!.stderr).toBe(0);
    const a = await readRun(join(dir, 'w1'));
    const b = await readRun(join(dir, 'w2'));
    // Agent totals match; the HTTP connections opened and the reconnect peak are per process
    // (each worker has its own pool and its own seconds), so they are left out.
    const totals = ({ httpConnectionsOpened: _c, peakReconnectsPerSecond: _p, ...rest }: RunSummary['agents']) => rest;
    expect(totals(b.summary.agents)).toEqual(totals(a.summary.agents));
    expect(b.summary.agents).toMatchObject({ planned: AGENTS, authenticated: AGENTS, connected: AGENTS, peakConnected: AGENTS });
    // Once-per-agent traffic matches exactly; periodic traffic depends on timing.
    for (const endpoint of ['GET /me/metadata', 'POST /me/version', 'GET /me/coordinate']) {
      expect(b.summary.endpoints[endpoint]?.count, endpoint).toBe(a.summary.endpoints[endpoint]?.count);
    }
    expect(b.summary.meta.shards).toMatchObject({ count: 2, merged: [0, 1], missing: [], partial: false, embeddedServers: 2 });
    expect(a.summary.meta.shards).toMatchObject({ count: 1, merged: [0], embeddedServers: 1 });
    expect(b.summary.outcome).toBe('passed');
    expect(two!.stderr).toContain('embedded target: each of the 2 workers runs its own server for its slice of the agents');

    const files = await shardFiles(b.dir);
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['shard-0-of-2.json', 'shard-1-of-2.json']);
    const secrets = [...fixtureAgents(SEED, 0, AGENTS).map((f) => f.token), fixtureUser(SEED).apiKeySecret];
    for (const path of files) {
      const text = await readFile(path, 'utf8');
      for (const secret of secrets) expect(text).not.toContain(secret);
      const shard = JSON.parse(text);
      expect(shard.slice.peakAgents).toBe(AGENTS / 2);
      expect(shard.meta.startAt).toBeDefined();
    }
    for (const pid of [...pidsOf(one!.stderr), ...pidsOf(two!.stderr)]) expect(alive(pid)).toBe(false);
  });

  it('--source-addresses reaches every worker; the parent checks and announces them once', { timeout: 180_000 }, async () => {
    const dir = await tempDir();
    const file = await scenarioFile(dir);
    const argv = ['run', file, '--workers', '2', '--source-addresses', '127.0.0.2-3', '--out', join(dir, 'out'), '--no-live', '--log-level', 'debug'];
    const result = await runMain(argv, testIO({ cwd: dir }));
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.includes('source addresses: sockets bind 127.0.0.2, 127.0.0.3 (2 addresses) round-robin'));
    // One info line from the parent; each worker got the flag and says so at debug level only.
    expect(lines.filter((l) => l.includes('[info]'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('[debug]'))).toHaveLength(2);
    expect((await readRun(join(dir, 'out'))).summary.agents).toMatchObject({ planned: AGENTS, connected: AGENTS });
  });

  it('forwards SIGINT to every worker, merges their partial shards (exit 130) and leaves no worker behind', { timeout: 180_000 }, async () => {
    const dir = await tempDir();
    const file = await scenarioFile(dir, '60s');
    const io = testIO({ cwd: dir });
    const running = runMain(['run', file, '--workers', '2', '--out', join(dir, 'out'), '--no-live'], io);
    // Both workers' timelines have started: then interrupt (events, not a fixed wait).
    await io.stderr.waitFor(/\[worker 0\] \[info\] run \S+ started/, 120_000);
    await io.stderr.waitFor(/\[worker 1\] \[info\] run \S+ started/, 120_000);
    const pids = pidsOf(io.stderr.text);
    expect(pids).toHaveLength(2);
    io.signals.emit('SIGINT');
    const result = await running;
    expect(result.code, result.stderr).toBe(130);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const { summary } = await readRun(join(dir, 'out'));
    expect(summary.outcome).toBe('interrupted');
    expect(summary.meta.shards).toMatchObject({ count: 2, merged: [0, 1], partial: false });
    expect(summary.meta.shards?.list.map((s) => s.stopReason)).toEqual(['SIGINT', 'SIGINT']);
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) expect(io.signals.listenerCount(name)).toBe(0);
  });
});
