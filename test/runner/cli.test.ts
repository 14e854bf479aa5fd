import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { createReferenceServer } from '../../src/server/reference-server.js';
import { runMain, signalsReleased, testIO } from '../cli/cli-io.js';
import { handFedSummary } from '../metrics/fixtures.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetsim-cli-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A live line that shows at least one connected agent: the partial report will have traffic. */
const CONNECTED = /agents [1-9]\d*\//;

async function readSummary(out: string): Promise<{ summary: RunSummary; dir: string }> {
  const [runDir] = await readdir(out);
  expect(runDir).toBeDefined();
  return { summary: JSON.parse(await readFile(join(out, runDir!, 'summary.json'), 'utf8')), dir: join(out, runDir!) };
}

describe('fleetsim CLI (in process)', () => {
  it('SIGINT stops the fleet and still writes a valid partial summary (exit 130)', async () => {
    const out = await tempDir();
    const io = testIO();
    const running = runMain(['run', 'scenarios/ci-repro.json', '--duration', '60s', '--out', out, '--live'], io);
    // The first live line with a connected agent, not a fixed wait, decides when to interrupt.
    await io.stderr.waitFor(CONNECTED);
    io.signals.emit('SIGINT');
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping the fleet and writing a partial report');
    const { summary, dir } = await readSummary(out);
    expect(summary.schemaVersion).toBe(1);
    expect(summary.outcome).toBe('interrupted');
    expect(summary.agents.planned).toBeGreaterThan(0);
    expect(Object.keys(summary.endpoints).length).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toContain('interrupted');
    expect(result.stdout).toContain(`report: ${dir}`);
    expect(io.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('SIGHUP (terminal closed) is treated like SIGTERM: partial report, outcome interrupted, exit 129', async () => {
    const out = await tempDir();
    const io = testIO();
    const running = runMain(['run', 'scenarios/ci-repro.json', '--duration', '60s', '--out', out, '--live'], io);
    await io.stderr.waitFor(CONNECTED);
    io.signals.emit('SIGHUP');
    const result = await running;
    expect(result.code).toBe(129);
    const { summary } = await readSummary(out);
    expect(summary.outcome).toBe('interrupted');
    expect(summary.agents.planned).toBeGreaterThan(0);
  });

  it('a second signal returns its exit code at once, without waiting for the report', async () => {
    const out = await tempDir();
    const io = testIO();
    const running = runMain(['run', 'scenarios/ci-repro.json', '--duration', '60s', '--out', out, '--no-live'], io);
    await io.stderr.waitFor(/run \S+ started/);
    io.signals.emit('SIGTERM');
    io.signals.emit('SIGTERM');
    const result = await running;
    expect(result.code).toBe(143);
    expect(result.stderr).toContain('second signal (SIGTERM): exiting without waiting for the report');
    // bin.ts would exit now; here the abandoned run winds down and releases its listeners.
    await signalsReleased(io.signals, 'SIGTERM');
  });

  it('reports a dead target as a harness error (exit 4), not a crash', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const credentials = join(dir, 'credentials.json');
    await writeFile(
      credentials,
      JSON.stringify({
        url: `http://127.0.0.1:${port}`,
        userToken: 'abcdefghij-abcdefghijklmnopqrstuv',
        agents: [
          {
            id: '3f2c1a7e-0000-4000-8000-000000000001',
            name: 'main',
            workspaceName: 'ws-1',
            token: '3f2c1a7e-0000-4000-8000-000000000002',
            instanceId: 'i-1',
            apps: [],
          },
        ],
      }),
    );
    const scenario = join(dir, 'tiny.json');
    await writeFile(scenario, JSON.stringify({ name: 'tiny', duration: '5s', agents: { count: 1 } }));
    const result = await runMain(['run', scenario, '--target', `http://127.0.0.1:${port}`, '--credentials', credentials, '--out', dir]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/unreachable \(ECONNREFUSED\)/);
    expect(result.stderr).not.toContain('3f2c1a7e-0000-4000-8000-000000000002');
  });

  it('identity auth without identity material in the credentials is a usage error (exit 2)', async () => {
    const dir = await tempDir();
    const server = await createReferenceServer({ agents: 2, identity: false });
    try {
      const { identity: _omitted, ...credentials } = server.credentials;
      const credentialsFile = join(dir, 'credentials.json');
      await writeFile(credentialsFile, JSON.stringify(credentials));
      const scenario = join(dir, 'aws.json');
      await writeFile(scenario, JSON.stringify({ name: 'aws', duration: '5s', agents: { count: 2, auth: { aws: 1 } } }));
      const result = await runMain(['run', scenario, '--target', server.url, '--credentials', credentialsFile, '--out', dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('asks for aws instance-identity auth but the credentials have no identity material');
      expect(server.counters().totals.requests).toBeLessThanOrEqual(1); // only the reachability probe
    } finally {
      await server.close();
    }
  });

  it('a bad scenario lists every problem with its path (exit 3)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ name: 'bad', duration: '3x', agents: { count: -1, auht: {} } }));
    const result = await runMain(['run', file, '--out', dir]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/- duration: /);
    expect(result.stderr).toMatch(/- agents\.count: /);
    expect(result.stderr).toMatch(/agents.*auht/);
  });

  it('compare flags a regression between two summaries (exit 10) and passes identical ones (exit 0)', async () => {
    const dir = await tempDir();
    const baseline = handFedSummary({ coordinator: true });
    const current = handFedSummary({ coordinator: true });
    current.endpoints['POST /me/report-stats']!.p99 = 130;
    await writeFile(join(dir, 'base.json'), JSON.stringify(baseline));
    await writeFile(join(dir, 'cur.json'), JSON.stringify(current));
    const regressed = await runMain(['compare', 'base.json', 'cur.json'], testIO({ cwd: dir }));
    expect(regressed.code).toBe(10);
    expect(regressed.stdout).toMatch(/p99 POST \/me\/report-stats .* REGRESSION/);
    const same = await runMain(['compare', join(dir, 'base.json'), join(dir, 'base.json'), '--format', 'markdown']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no regressions');
  });

  it('--target without --credentials is a usage error (exit 2)', async () => {
    const result = await runMain(['run', 'scenarios/ci-repro.json', '--target', 'http://127.0.0.1:9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--target and --credentials go together');
  });

  it('--help and --version print to the injected stdout and exit 0', async () => {
    const help = await runMain(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--duration');
    const version = await runMain(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
