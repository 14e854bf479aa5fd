/**
 * `fleetsim conform` end to end, in process through main(argv, io): against the embedded
 * server every check passes; against a proxy that deviates from the contract in one way per
 * group, the check covering that deviation is named FAIL and the exit code is 10.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { runMain, testIO } from '../cli/cli-io.js';
import { startDeviatingProxy, type DeviatingProxy } from './deviating-proxy.js';

/** The verdict line of one check in the text output. */
const verdictOf = (stdout: string, id: string): string | undefined =>
  new RegExp(`^(PASS|FAIL|SKIP) ${id.replace(/\./g, '\\.')}(?:\\s|$)`, 'm').exec(stdout)?.[1];
const failed = (stdout: string): string[] => [...stdout.matchAll(/^FAIL (\S+)/gm)].map((m) => m[1]!);

describe('fleetsim conform against the embedded server', () => {
  it('passes every check and exits 0', async () => {
    const { code, stdout } = await runMain(['conform']);
    expect(failed(stdout)).toEqual([]);
    expect(stdout).not.toMatch(/^SKIP /m);
    expect(stdout).toMatch(/^conform: (\d+) passed, 0 failed, 0 skipped of \1 checks against the embedded server/m);
    expect(code).toBe(0);
  }, 60_000);
});

describe('fleetsim conform against a deviating target', () => {
  let server: ReferenceServer;
  let proxy: DeviatingProxy;
  let dir: string;
  let credentialsFile: string;

  beforeAll(async () => {
    server = await createReferenceServer({ agents: 40, heartbeatMs: 250, inactiveMs: 500, identity: false });
    proxy = await startDeviatingProxy(server.url);
    dir = await mkdtemp(join(tmpdir(), 'fleetsim-conform-'));
    credentialsFile = join(dir, 'credentials.json');
    await writeFile(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const key of Object.keys(proxy.hooks)) delete proxy.hooks[key as keyof typeof proxy.hooks];
  });

  const conform = (...extra: string[]) =>
    runMain(['conform', '--target', proxy.url, '--credentials', credentialsFile, '--heartbeat', '250ms', '--wait', '1s', ...extra]);

  it('passes every group through the proxy while it deviates in nothing', async () => {
    const { code, stdout } = await conform();
    expect(failed(stdout)).toEqual([]);
    expect(code).toBe(0);
  }, 30_000);

  const deviations: { group: string; check: string; what: string; install(p: DeviatingProxy): void }[] = [
    {
      group: 'routes',
      check: 'routes.report-lifecycle',
      what: 'report-lifecycle answers 200 instead of 204',
      install: (p) => (p.hooks.http = (_m, path, a) => (path.endsWith('/me/report-lifecycle') && a.status === 204 ? { ...a, status: 200 } : a)),
    },
    {
      group: 'auth',
      check: 'auth.agent-header-not-uuid',
      what: 'a reworded 401 body',
      install: (p) => (p.hooks.http = (_m, _path, a) => ({ ...a, body: a.body.replace('Workspace agent token invalid.', 'Invalid agent token.') })),
    },
    {
      group: 'inputs',
      check: 'inputs.report-lifecycle-invalid',
      what: 'the "be be" of the lifecycle error corrected',
      install: (p) => (p.hooks.http = (_m, _path, a) => ({ ...a, body: a.body.replace('must be be one of', 'must be one of') })),
    },
    {
      group: 'coordinate',
      check: 'coordinate.client-text-frame-closes-1003',
      what: 'a text frame accepted (forwarded as binary)',
      install: (p) => (p.hooks.message = (_path, toServer, data, binary) => ({ data, binary: toServer ? true : binary })),
    },
    {
      group: 'coordinate',
      check: 'coordinate.int64-id-lossless',
      what: 'node ids rounded to doubles on the way to clients',
      install: (p) =>
        (p.hooks.message = (path, toServer, data, binary) =>
          !toServer && /\/[0-9a-f-]{36}\/coordinate/.test(path)
            ? { data: Buffer.from(JSON.stringify(JSON.parse(data.toString('utf8')))), binary }
            : { data, binary }),
    },
    {
      group: 'status',
      check: 'status.disconnected-after-close',
      what: 'status still connected after the agent left (a late flip)',
      install: (p) => (p.hooks.http = (_m, _path, a) => ({ ...a, body: a.body.replace('"status":"disconnected"', '"status":"connected"') })),
    },
    {
      group: 'rate-limit',
      check: 'rate-limit.headers-on-upgrade',
      what: 'rate-limit headers missing from 101 answers',
      install: (p) =>
        (p.hooks.upgradeHeaders = (_path, headers) => Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-ratelimit')))),
    },
    {
      group: 'listening-ports',
      check: 'listening-ports.filtered',
      what: 'port 22 (on the ignore list) listed',
      install: (p) =>
        (p.hooks.http = (_m, path, a) =>
          path.endsWith('/listening-ports') && a.status === 200
            ? { ...a, body: a.body.replace('{"ports":[', '{"ports":[{"process_name":"sshd","network":"tcp","port":22},') }
            : a),
    },
    {
      group: 'pty',
      check: 'pty.echo-binary',
      what: 'PTY output sent as text frames',
      install: (p) => (p.hooks.message = (path, toServer, data, binary) => ({ data, binary: !toServer && path.includes('/pty') ? false : binary })),
    },
    {
      group: 'v2',
      check: 'v2.version-invalid',
      what: 'a reworded version-negotiation 400',
      install: (p) => (p.hooks.http = (_m, _path, a) => ({ ...a, body: a.body.replace('Unknown or unsupported API version', 'Unsupported API version') })),
    },
  ];

  for (const d of deviations) {
    it(`names ${d.check} FAIL when ${d.what}`, async () => {
      d.install(proxy);
      const { code, stdout } = await conform('--only', d.group);
      expect(verdictOf(stdout, d.check)).toBe('FAIL');
      expect(stdout).toMatch(new RegExp(`^FAIL ${d.check.replace(/\./g, '\\.')}[^\\n]*\\n {7}expected: .+\\n {7}observed: .+$`, 'm'));
      expect(code).toBe(10);
    }, 30_000);
  }

  it('--safe leaves out checks that change agent state and still passes the rest', async () => {
    const { code, stdout } = await conform('--only', 'coordinate,routes', '--safe');
    expect(verdictOf(stdout, 'coordinate.client-text-frame-closes-1003')).toBe('PASS');
    expect(verdictOf(stdout, 'routes.report-stats-zero')).toBe('PASS');
    for (const id of ['coordinate.int64-id-lossless', 'routes.version', 'routes.report-lifecycle', 'routes.report-stats']) {
      expect(stdout).toMatch(new RegExp(`^SKIP ${id.replace(/\./g, '\\.')}  \\(changes agent state a user can see \\(--safe\\)\\)$`, 'm'));
    }
    expect(failed(stdout)).toEqual([]);
    expect(code).toBe(0);
  }, 30_000);

  it('--json prints a machine-readable result and --junit writes XML, neither with a secret', async () => {
    proxy.hooks.http = (_m, path, a) =>
      path.includes('version=abc') ? { ...a, body: a.body.replace('Unknown or unsupported API version', 'Unsupported API version') } : a;
    const junit = join(dir, 'conform.xml');
    const { code, stdout } = await conform('--only', 'v2,routes', '--json', '--junit', junit);
    expect(code).toBe(10);
    const json = JSON.parse(stdout) as {
      schemaVersion: number;
      counts: { fail: number };
      results: { id: string; verdict: string; expected: string; observed: string }[];
    };
    expect(json.schemaVersion).toBe(1);
    expect(json.results.find((r) => r.id === 'v2.version-invalid')).toMatchObject({ verdict: 'fail' });
    expect(json.counts.fail).toBe(json.results.filter((r) => r.verdict === 'fail').length);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="fleetsim\.conform\.v2" tests="\d+" failures="1"/);
    expect(xml).toContain('<testcase classname="fleetsim.conform.v2" name="v2.version-invalid"');
    const secrets = [server.credentials.userToken, ...server.credentials.agents.map((a) => a.token)];
    for (const secret of secrets) {
      expect(stdout).not.toContain(secret);
      expect(xml).not.toContain(secret);
    }
  }, 30_000);
});

describe('fleetsim conform usage', () => {
  it('refuses an unknown group and lists the groups (exit 2)', async () => {
    const { code, stderr } = await runMain(['conform', '--only', 'nope']);
    expect(code).toBe(2);
    expect(stderr).toContain('--only: unknown group "nope"');
    expect(stderr).toContain('groups: routes, auth, inputs, coordinate, status, rate-limit, listening-ports, pty, v2');
  });

  it('needs --credentials with --target (exit 2)', async () => {
    const { code, stderr } = await runMain(['conform', '--target', 'http://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toContain('--target and --credentials go together');
  });

  it('reports an unreachable target as exit 4', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetsim-conform-'));
    try {
      const file = join(dir, 'credentials.json');
      await writeFile(file, JSON.stringify({ url: 'http://127.0.0.1:9', userToken: 'abcdefghij-abcdefghijklmnopqrstuv', agents: [] }));
      const io = testIO();
      const { code, stderr } = await runMain(['conform', '--target', 'http://127.0.0.1:9', '--credentials', file], io);
      expect(code).toBe(4);
      expect(stderr).toContain('target http://127.0.0.1:9 is unreachable');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
