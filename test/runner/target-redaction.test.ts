/**
 * A target URL may carry `user:password@`. Neither part, nor an agent token or the user's
 * session token, may reach a log line, an error message, stdout or a report file: runs,
 * capacity searches and conformance checks against a live loopback server and a dead port, and
 * the messages the runner builds from the URL.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetsimError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { METRIC } from '../../src/metrics/names.js';
import { credentialSecrets } from '../../src/runner/credentials-file.js';
import { resolveProtocol } from '../../src/runner/protocol-probe.js';
import { probeTarget } from '../../src/runner/target.js';
import { createTargetHealth } from '../../src/runner/target-health.js';
import { validateScenario } from '../../src/scenario/load.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { runMain } from '../cli/cli-io.js';

/** Long enough for the logger's secret list (8+ characters), and unlike anything else printed. */
const USER = 'tokenlike-user-5d1e9a';
const PASSWORD = 'Pa55word-7c3f0b8e';
const withUserInfo = (url: string): string => url.replace('http://', `http://${USER}:${PASSWORD}@`);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every file under `dir`, as text. */
async function filesUnder(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) texts.push(await readFile(path, 'utf8'));
  }
  return texts;
}

function expectNoSecret(texts: readonly string[], secrets: readonly string[]): void {
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

let dir = '';
let server: ReferenceServer;
let credentialsFile = '';
let secrets: string[] = [];
let scenarioFile = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-redaction-'));
  server = await createReferenceServer({ agents: 4, seed: 'redact', rateLimit: -1, identity: false, heartbeatMs: 250, inactiveMs: 500 });
  credentialsFile = join(dir, 'credentials.json');
  await writeFile(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  secrets = [USER, PASSWORD, ...credentialSecrets(server.credentials)];
  // The agent tokens and the user's Coder-Session-Token are among them.
  expect(secrets).toContain(server.credentials.userToken);
  expect(secrets).toContain(server.credentials.agents[0]!.token);
  scenarioFile = join(dir, 'redact.json');
  await writeFile(
    scenarioFile,
    JSON.stringify({
      name: 'redact',
      seed: 'redact',
      duration: '3s',
      agents: { count: 2, rampUp: '0s', protocol: 'auto' },
      // `GET /{id}` sends the user's Coder-Session-Token, `GET /me/metadata` an agent token.
      rest: { mix: { 'GET /{id}': 1, 'GET /me/metadata': 1 }, connections: 1, amount: 8 },
      // A network fault puts the fault proxy in front of the target: its log line too.
      faults: [{ at: '1s', action: 'latency', ms: 5, duration: '1s' }],
      observe: { allowSaturated: true },
    }),
  );
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a target URL with userinfo, live (loopback reference server)', () => {
  it('fleetsim run: logs, stdout and every report name the host, never the userinfo or a token', async () => {
    const out = join(dir, 'run');
    const host = server.url.replace('http://', '');
    const result = await runMain(['run', scenarioFile, '--target', withUserInfo(server.url), '--credentials', credentialsFile, '--out', out]);
    expect(result.stderr).toMatch(new RegExp(`fault proxy \\(pid \\d+\\) at http://127\\.0\\.0\\.1:\\d+ in front of http://${host}:`));
    expect(result.stderr).toMatch(new RegExp(`run \\S+ started: .* against http://${host} through the fault proxy http://127\\.0\\.0\\.1:\\d+`));
    expect(result.stderr).toContain('protocol auto →');
    const reports = await filesUnder(out);
    expect(reports.some((text) => text.includes(`http://${host}`))).toBe(true);
    expectNoSecret([result.stdout, result.stderr, ...reports], secrets);
    expect(result.code).toBe(0);
  }, 60_000);

  it('fleetsim capacity: logs, stdout and the capacity report hold no userinfo or token', async () => {
    const out = join(dir, 'capacity');
    const result = await runMain([
      'capacity',
      scenarioFile,
      ...['--target', withUserInfo(server.url), '--credentials', credentialsFile, '--out', out],
      ...['--from', '1', '--to', '1', '--hold', '1s', '--ramp', '0s', '--settle', '0s', '--slo', 'p99(GET /me/metadata) < 30s'],
    ]);
    const reports = await filesUnder(out);
    const summary = JSON.parse(reports.find((t) => t.includes('"capacity"') && t.includes('"schemaVersion"')) ?? '{}') as { meta?: { target?: string } };
    expect(summary.meta?.target).toBe(server.url);
    expectNoSecret([result.stdout, result.stderr, ...reports], secrets);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 60_000);

  it('fleetsim conform: the summary line, JSON and JUnit name the host only', async () => {
    const junit = join(dir, 'conform.xml');
    const args = [
      'conform',
      '--target',
      withUserInfo(server.url),
      '--credentials',
      credentialsFile,
      '--heartbeat',
      '250ms',
      '--wait',
      '1s',
      '--only',
      'routes',
    ];
    const text = await runMain(args);
    expect(text.stdout).toContain(`checks against ${server.url} in`);
    const json = await runMain([...args, '--json', '--junit', junit]);
    expect((JSON.parse(json.stdout) as { target: string }).target).toBe(server.url);
    expectNoSecret([text.stdout, text.stderr, json.stdout, json.stderr, await readFile(junit, 'utf8')], secrets);
    expect([text.code, json.code]).toEqual([0, 0]);
  }, 60_000);
});

describe('a target URL with userinfo, dead (a closed loopback port)', () => {
  it.each([
    ['run', (url: string) => ['run', scenarioFile, '--target', url, '--credentials', credentialsFile, '--out', join(dir, 'dead-run')]],
    [
      'capacity',
      (url: string) => [
        'capacity',
        scenarioFile,
        '--target',
        url,
        '--credentials',
        credentialsFile,
        '--out',
        join(dir, 'dead-cap'),
        '--from',
        '1',
        '--to',
        '1',
        '--slo',
        'p99(GET /me/metadata) < 30s',
      ],
    ],
    ['conform', (url: string) => ['conform', '--target', url, '--credentials', credentialsFile]],
  ])('fleetsim %s: exit 4, the message names the host and port only', async (_command, argv) => {
    const port = await closedPort();
    const result = await runMain(argv(withUserInfo(`http://127.0.0.1:${port}`)));
    expect(result.stderr).toContain(`fleetsim: target http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`);
    expectNoSecret([result.stdout, result.stderr], secrets);
    expect(result.code).toBe(4);
  });

  it('probeTarget and protocol auto throw messages without the userinfo', async () => {
    const url = withUserInfo(`http://127.0.0.1:${await closedPort()}`);
    const messages: string[] = [];
    await probeTarget(url).catch((error: Error) => messages.push(error.message));
    await resolveProtocol('auto', url, silentLogger).catch((error: Error) => messages.push(error.message));
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatch(/^protocol auto: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/buildinfo failed/);
    expectNoSecret(messages, [USER, PASSWORD]);
  });
});

describe('messages built from the target URL', () => {
  it('fleetsim plan (text and --json) shows a scenario target without its userinfo', async () => {
    const file = join(dir, 'plan-target.json');
    const url = withUserInfo('http://coder.example.com:7080');
    await writeFile(file, JSON.stringify({ name: 'plan-target', duration: '10s', agents: { count: 1 }, target: { url, credentials: 'c.json' } }));
    const text = await runMain(['plan', file]);
    const json = await runMain(['plan', file, '--json']);
    expect(text.stdout).toContain('target http://coder.example.com:7080');
    expect((JSON.parse(json.stdout) as { target: { url: string } }).target.url).toBe('http://coder.example.com:7080');
    expectNoSecret([text.stdout, text.stderr, json.stdout, json.stderr], [USER, PASSWORD]);
  });

  it('the target-down and answering-again lines name the host only', () => {
    const lines: string[] = [];
    let now = 0;
    const health = createTargetHealth({
      target: withUserInfo('http://127.0.0.1:7080'),
      now: () => now,
      windowMs: 1_000,
      onDown: (m) => lines.push(m),
      onUp: (m) => lines.push(m),
    });
    for (let i = 0; i < 3; i += 1, now += 600) {
      health.trend(METRIC.request, 1, {});
      health.count(METRIC.error, 1, { class: 'refused' });
    }
    health.trend(METRIC.request, 1, {});
    health.trend(METRIC.request, 1, {});
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^target http:\/\/127\.0\.0\.1:7080 looks down/);
    expect(lines[1]).toMatch(/^target http:\/\/127\.0\.0\.1:7080 is answering again/);
    expectNoSecret(lines, [USER, PASSWORD]);
  });

  it('a scenario whose target.url is not a valid URL is rejected without echoing its password', () => {
    let issues: readonly string[] = [];
    try {
      validateScenario(
        { name: 'r', duration: '1s', agents: { count: 1 }, target: { url: `http//${USER}:${PASSWORD}@coder.example.com`, credentials: 'c.json' } },
        'x',
      );
    } catch (error) {
      issues = (error as FleetsimError).issues;
    }
    expect(issues).toEqual(['target.url: expected an http(s) URL like "https://coder.example.com", got "http//coder.example.com"']);
  });
});
