import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceServer } from '../../src/server/reference-server.js';
import { handFedSummary } from '../metrics/fixtures.js';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'fleetsim.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStderr` may act (e.g. send a signal) when a line appears. */
function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      onStderr?.(stderr, child);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

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

describe('fleetsim CLI', () => {
  it('SIGINT stops the fleet and still writes a valid partial summary (exit 130)', async () => {
    const out = await tempDir();
    let sent = false;
    const result = await runCli(['run', 'scenarios/ci-repro.json', '--duration', '60s', '--out', out, '--no-live'], (stderr, child) => {
      if (!sent && /run \S+ started/.test(stderr)) {
        sent = true;
        // Let the fleet connect for a moment so the partial report has traffic in it.
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    expect(sent).toBe(true);
    expect(result.code).toBe(130);
    const [runDir] = await readdir(out);
    expect(runDir).toBeDefined();
    const summary = JSON.parse(await readFile(join(out, runDir!, 'summary.json'), 'utf8'));
    expect(summary.schemaVersion).toBe(1);
    expect(summary.outcome).toBe('interrupted');
    expect(summary.agents.planned).toBeGreaterThan(0);
    expect(Object.keys(summary.endpoints).length).toBeGreaterThan(0);
    const markdown = await readFile(join(out, runDir!, 'summary.md'), 'utf8');
    expect(markdown).toContain('interrupted');
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
    const result = await runCli(['run', scenario, '--target', `http://127.0.0.1:${port}`, '--credentials', credentials, '--out', dir]);
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
      const result = await runCli(['run', scenario, '--target', server.url, '--credentials', credentialsFile, '--out', dir]);
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
    const result = await runCli(['run', file, '--out', dir]);
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
    const regressed = await runCli(['compare', join(dir, 'base.json'), join(dir, 'cur.json')]);
    expect(regressed.code).toBe(10);
    expect(regressed.stdout).toMatch(/p99 POST \/me\/report-stats .* REGRESSION/);
    const same = await runCli(['compare', join(dir, 'base.json'), join(dir, 'base.json'), '--format', 'markdown']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no regressions');
  });

  it('--target without --credentials is a usage error (exit 2)', async () => {
    const result = await runCli(['run', 'scenarios/ci-repro.json', '--target', 'http://127.0.0.1:9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--target and --credentials go together');
  });
});
