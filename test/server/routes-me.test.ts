import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGoJson } from '../../src/protocol/go-json.js';
import type { CredentialAgent } from '../../src/protocol/credentials.js';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { AGENTS, call, ME, post } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';
import { eventually } from '../helpers/eventually.js';

let server: ReferenceServer;
let agent: CredentialAgent;
let token: string;

beforeAll(async () => {
  server = await startReferenceServer({ agents: 12, reportIntervalMs: 90_000, maxBodyBytes: 4096 });
  // An agent with a healthchecked app and an app without a healthcheck, for app-health rows.
  agent =
    server.credentials.agents.find((a) => a.apps.some((x) => x.healthcheck) && a.apps.some((x) => !x.healthcheck)) ??
    (server.credentials.agents.find((a) => a.apps.some((x) => x.healthcheck)) as CredentialAgent);
  token = agent.token;
});
afterAll(() => server.close());

const INVALID_JSON = 'Request body must be valid JSON.';

describe('GET /me/metadata (§5.2)', () => {
  it('returns the Metadata struct in Go order with the DERP map and ns timeout', async () => {
    const r = await call(server, `${ME}/metadata`, { token });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(Object.keys(body)).toEqual([
      'git_auth_configs',
      'vscode_port_proxy_uri',
      'apps',
      'derpmap',
      'environment_variables',
      'startup_script',
      'startup_script_timeout',
      'directory',
      'motd_file',
    ]);
    expect(body.git_auth_configs).toBe(1);
    expect(body.vscode_port_proxy_uri).toBe(`:${new URL(server.url).port}`);
    expect(body.startup_script_timeout).toBe(300_000_000_000);
    expect(body.apps.map((a: { id: string }) => a.id)).toEqual(agent.apps.map((a) => a.id));
    expect(Object.keys(body.apps[0])).toEqual(['id', 'url', 'external', 'slug', 'display_name', 'icon', 'subdomain', 'sharing_level', 'healthcheck', 'health']);
    const region = body.derpmap.Regions['999'];
    expect(region.RegionName).toBe('Coder Embedded Relay');
    expect(region.Nodes.at(-1)).toMatchObject({ Name: '999b', HostName: '127.0.0.1', DERPPort: Number(new URL(server.url).port), ForceHTTP: true });
    expect(r.text.endsWith('}\n')).toBe(true);
  });

  it('answers the same bytes as encoding the whole struct at once (the DERP map is spliced in)', async () => {
    const r = await call(server, `${ME}/metadata`, { token });
    const body = JSON.parse(r.text);
    expect(body.derpmap).toBeTruthy();
    // Go JSON of the parsed value, key order kept (no bigints or HTML-significant text here).
    expect(r.text).toBe(encodeGoJson(body));
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.text));
  });

  it('builds vscode_port_proxy_uri from a wildcard hostname', async () => {
    const other = await startReferenceServer({ agents: 1, appHostname: '*.apps.example.com' });
    try {
      const a = other.credentials.agents[0]!;
      const body = JSON.parse((await call(other, `${ME}/metadata`, { token: a.token })).text);
      const port = new URL(other.url).port;
      expect(body.vscode_port_proxy_uri).toMatch(
        new RegExp(`^http://\\{\\{port\\}\\}--${a.name}--${a.workspaceName}--[a-z0-9-]+\\.apps\\.example\\.com:${port}$`),
      );
    } finally {
      await other.close();
    }
  });
});

describe('POST /me/version (§5.3)', () => {
  it('accepts semver with a leading v and answers null', async () => {
    for (const v of ['v0.15.3-devel+7ad87505', 'v1', 'v1.2', 'v1.2.3-pre+build']) {
      const r = await post(server, `${ME}/version`, token, JSON.stringify({ version: v }));
      expect(r.status, v).toBe(200);
      expect(r.text).toBe('null\n');
    }
    const view = JSON.parse((await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).text);
    expect(view.version).toBe('v1.2.3-pre+build');
  });

  it('400 for invalid semver, with %q of the value', async () => {
    for (const v of ['1.2.3', 'v1.2-pre', 'v01.2.3', '']) {
      const r = await post(server, `${ME}/version`, token, JSON.stringify({ Version: v }));
      expect(r.status, v).toBe(400);
      expect(JSON.parse(r.text)).toEqual({ message: 'Invalid workspace agent version provided.', detail: `invalid semver version: "${v}"` });
    }
  });
});

describe('POST /me/report-lifecycle (§5.8)', () => {
  it('answers 204 with an empty body for every state, any order, any key casing', async () => {
    for (const [key, state] of [
      ['state', 'starting'],
      ['State', 'ready'],
      ['STATE', 'created'],
      ['state', 'start_error'],
      ['state', 'start_timeout'],
    ]) {
      const r = await post(server, `${ME}/report-lifecycle`, token, JSON.stringify({ [key as string]: state }));
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
    }
    expect(server.counters().agents[agent.id]!.lifecycleStates).toEqual(['starting', 'ready', 'created', 'start_error', 'start_timeout']);
  });

  it('400 with the exact "be be" text for an unknown state', async () => {
    const r = await post(server, `${ME}/report-lifecycle`, token, '{"state":"x"}');
    expect(r.status).toBe(400);
    expect(r.text).toBe(
      '{"message":"Invalid lifecycle state.","detail":"Invalid lifecycle state \\"x\\", must be be one of [\\"created\\" \\"starting\\" \\"start_timeout\\" \\"start_error\\" \\"ready\\"]."}\n',
    );
  });
});

describe('POST /me/report-stats (§5.7)', () => {
  it('answers report_interval in ns and counts the rx=tx=0 short-circuit', async () => {
    const before = server.counters().agents[agent.id]?.reportStats ?? 0;
    const zero = await post(server, `${ME}/report-stats`, token, '{}');
    expect(zero.status).toBe(200);
    expect(zero.text).toBe('{"report_interval":90000000000}\n');
    const full = await post(
      server,
      `${ME}/report-stats`,
      token,
      JSON.stringify({ conns_by_proto: { tcp: 2 }, num_comms: 2, rx_packets: 10, rx_bytes: 1200, tx_packets: 9, tx_bytes: 800 }),
    );
    expect(full.text).toBe('{"report_interval":90000000000}\n');
    const c = server.counters().agents[agent.id]!;
    expect(c.reportStats - before).toBe(2);
    expect(c.reportStatsZero).toBeGreaterThanOrEqual(1);
  });

  it('400 for wrong int64 types', async () => {
    const frac = await post(server, `${ME}/report-stats`, token, '{"rx_bytes":1.5}');
    expect(frac.status).toBe(400);
    expect(JSON.parse(frac.text)).toEqual({
      message: INVALID_JSON,
      detail: 'json: cannot unmarshal number 1.5 into Go struct field Stats.rx_bytes of type int64',
    });
    const str = await post(server, `${ME}/report-stats`, token, '{"tx_bytes":"1"}');
    expect(JSON.parse(str.text).detail).toBe('json: cannot unmarshal string into Go struct field Stats.tx_bytes of type int64');
    const map = await post(server, `${ME}/report-stats`, token, '{"conns_by_proto":[]}');
    expect(JSON.parse(map.text).detail).toBe('json: cannot unmarshal array into Go struct field Stats.conns_by_proto of type map[string]int64');
  });
});

describe('POST /me/app-health (§5.4)', () => {
  const healthy = () => agent.apps.find((a) => a.healthcheck)!;
  const appHealth = async (id: string) => {
    const view = JSON.parse((await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).text);
    return view.apps.find((a: { id: string }) => a.id === id).health;
  };

  it('accepts Healths and healths and stores the value', async () => {
    const app = healthy();
    expect(await appHealth(app.id)).toBe('initializing');
    const r = await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'healthy' } }));
    expect(r.status).toBe(200);
    expect(r.text).toBe('null\n');
    expect(await appHealth(app.id)).toBe('healthy');
    await post(server, `${ME}/app-health`, token, JSON.stringify({ healths: { [app.id]: 'unhealthy' } }));
    expect(await appHealth(app.id)).toBe('unhealthy');
  });

  it('400 for an empty map, 404 for unknown or healthcheck-less apps, 400 for a bad value, nothing saved', async () => {
    const app = healthy();
    await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'healthy' } }));
    for (const body of ['{}', '{"Healths":{}}', 'null']) {
      const r = await post(server, `${ME}/app-health`, token, body);
      expect(r.status, body).toBe(400);
      expect(r.text).toBe('{"message":"Health field is empty"}\n');
    }
    const unknown = '00000000-0000-4000-8000-000000000001';
    const r404 = await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'unhealthy', [unknown]: 'healthy' } }));
    expect(r404.status).toBe(404);
    expect(JSON.parse(r404.text)).toEqual({ message: 'Error setting workspace app health', detail: `workspace app name ${unknown} not found` });
    const plain = agent.apps.find((a) => !a.healthcheck);
    if (plain) {
      const r = await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'unhealthy', [plain.id]: 'healthy' } }));
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text).detail).toBe(`health checking is disabled for workspace app ${plain.id}`);
    }
    const bad = await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'unhealthy', [unknown.replace('1', '2')]: 'x' } }));
    expect(bad.status).toBe(404);
    const disabled = await post(server, `${ME}/app-health`, token, JSON.stringify({ Healths: { [app.id]: 'disabled' } }));
    expect(disabled.status).toBe(400);
    expect(JSON.parse(disabled.text)).toEqual({ message: 'Error setting workspace app health', detail: 'workspace app health disabled is not a valid value' });
    expect(await appHealth(app.id)).toBe('healthy');
  });

  it('400 when a map key is not a UUID', async () => {
    const r = await post(server, `${ME}/app-health`, token, '{"Healths":{"abc":"healthy"}}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ message: INVALID_JSON, detail: 'invalid UUID length: 3' });
  });
});

describe('GET /me/gitsshkey (§5.6)', () => {
  it('returns the owner ed25519 key in OpenSSH formats, the same for every agent', async () => {
    const r = await call(server, `${ME}/gitsshkey`, { token });
    const body = JSON.parse(r.text);
    expect(Object.keys(body)).toEqual(['public_key', 'private_key']);
    expect(body.public_key).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+\n$/);
    expect(body.private_key.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).toBe(true);
    expect(body.private_key.endsWith('-----END OPENSSH PRIVATE KEY-----\n')).toBe(true);
    const blob = Buffer.from(body.private_key.split('\n').slice(1, -2).join(''), 'base64');
    expect(blob.subarray(0, 15).toString('latin1')).toBe('openssh-key-v1\0');
    const other = server.credentials.agents.find((a) => a.id !== agent.id)!;
    expect((await call(server, `${ME}/gitsshkey`, { token: other.token })).text).toBe(r.text);
    expect(() => createPrivateKey(body.private_key)).toThrow(); // OpenSSH format, not PKCS#8
  });
});

describe('GET /me/gitauth (§5.5)', () => {
  const gitauth = (query: string, init: RequestInit = {}) => call(server, `${ME}/gitauth${query}`, { token, ...init });

  it('400 without url, 404 without a matching provider', async () => {
    for (const q of ['', '?url=']) {
      const r = await gitauth(q);
      expect(r.status).toBe(400);
      expect(r.text).toBe('{"message":"Missing \'url\' query parameter!"}\n');
    }
    const r = await gitauth('?url=https%3A%2F%2Fgitlab.com%2Fa%2Fb');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual({ message: 'No git provider found for URL "https://gitlab.com/a/b"' });
  });

  it('answers a URL only without a link, and releases a listen poll when linked', async () => {
    const unlinked = await gitauth('?url=https://github.com/coder/coder');
    expect(unlinked.status).toBe(200);
    expect(unlinked.text).toBe(`{"username":"","password":"","url":"${server.url}/gitauth/github"}\n`);
    const pending = gitauth('?url=https://github.com/coder/coder&listen=false');
    await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
    server.gitAuth.link({ token: 'gho_secret' });
    const released = await pending;
    expect(released.status).toBe(200);
    expect(released.text).toBe('{"username":"gho_secret","password":"","url":""}\n');
    const direct = await gitauth('?url=https://github.com/x');
    expect(JSON.parse(direct.text)).toEqual({ username: 'gho_secret', password: '', url: '' });
    server.gitAuth.unlink();
  });

  it('drops a listen poll whose client went away, and the server stays healthy', async () => {
    const controller = new AbortController();
    const pending = gitauth('?url=https://github.com/a&listen', { signal: controller.signal });
    await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
    controller.abort();
    await expect(pending).rejects.toThrow();
    await eventually(() => server.gitAuth.listening() === 0, 'the poll to be dropped');
    server.gitAuth.link({ token: 'later' });
    expect((await gitauth('?url=https://github.com/a')).status).toBe(200);
    server.gitAuth.unlink();
  });
});

describe('malformed and oversized bodies', () => {
  it('400 with Go-like details; the server keeps answering', async () => {
    const cases: Array<[string, string]> = [
      ['', 'EOF'],
      ['   ', 'EOF'],
      ['{"state":', 'unexpected EOF'],
      ['xyz', "invalid character 'x' looking for beginning of value"],
      ['[]', 'json: cannot unmarshal array into Go value of type agentsdk.PostLifecycleRequest'],
      ['"ready"', 'json: cannot unmarshal string into Go value of type agentsdk.PostLifecycleRequest'],
      ['{"state":1}', 'json: cannot unmarshal number into Go struct field PostLifecycleRequest.state of type codersdk.WorkspaceAgentLifecycle'],
    ];
    for (const [body, detail] of cases) {
      const r = await post(server, `${ME}/report-lifecycle`, token, body);
      expect(r.status, body).toBe(400);
      expect(JSON.parse(r.text), body).toEqual({ message: INVALID_JSON, detail });
    }
    // json.Decoder reads one value: trailing bytes are ignored.
    expect((await post(server, `${ME}/report-lifecycle`, token, '{"state":"ready"} trailing')).status).toBe(204);
  });

  it('413 beyond the body limit without touching state', async () => {
    const before = server.counters().totals.reportStats;
    const big = JSON.stringify({ rx_bytes: 1, pad: 'x'.repeat(10_000) });
    const r = await post(server, `${ME}/report-stats`, token, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ message: 'Request body too large.', detail: 'The request body exceeds the limit of 4096 bytes.' });
    expect(server.counters().totals.reportStats).toBe(before);
    expect((await post(server, `${ME}/report-stats`, token, '{}')).status).toBe(200);
  });
});

describe('faults', () => {
  it('makes an endpoint answer 500 every Nth request, then clears', async () => {
    server.faults.set('POST /me/report-stats', { status: 500, every: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(server, `${ME}/report-stats`, token, '{}')).status);
    expect(statuses).toEqual([200, 500, 200, 500]);
    server.faults.set('GET /me/metadata', { status: 429 });
    const limited = await call(server, `${ME}/metadata`, { token });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    server.faults.clear();
    expect((await call(server, `${ME}/metadata`, { token })).status).toBe(200);
  });
});
