import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { chooseProtocol, probeProtocol, resolveProtocol } from '../../src/runner/protocol-probe.js';
import type { ReferenceServer, ReferenceServerOptions } from '../../src/server/reference-server.js';
import { startHttpServer, startReferenceServer } from '../helpers/loopback.js';

let servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

/** A loopback stub that answers /api/v2/buildinfo with `status` and `body` (text as given). */
async function stub(status: number, body: string): Promise<string> {
  const server = await startHttpServer((req, res) => {
    if (req.url !== '/api/v2/buildinfo') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  servers.push(server);
  return server.url;
}

const info = (version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ external_url: 'https://github.com/coder/coder', version, ...extra });

describe('protocol probe over loopback', () => {
  it.each([
    ['v2.13.0+1a2b3c', 'v2', /2\.13 or later/],
    ['v2.24.2', 'v2', /2\.13 or later/],
    ['v3.0.0', 'v2', /2\.13 or later/],
    ['v2.13.0-rc.1', 'v2', /2\.13 or later/],
    ['v2.12.9', 'v2', /both v1 and v2/],
    ['v2.8.0', 'v2', /both v1 and v2/],
    ['2.10.1', 'v2', /both v1 and v2/],
    ['v2.7.3', 'v1', /older than 2\.8/],
    ['v0.17.4', 'v1', /older than 2\.8/],
    ['v2.14.0-devel+abc', 'v1', /could not tell/],
    ['v1.0.0', 'v1', /older than 2\.8/],
  ])('buildinfo version %s → %s', async (version, protocol, why) => {
    const choice = await probeProtocol(await stub(200, info(version)));
    expect(choice.protocol).toBe(protocol);
    expect(choice.version).toBe(version);
    expect(choice.reason).toMatch(why);
  });

  it('a dev build defers to agent_api_version; without it v1 is assumed', async () => {
    expect((await probeProtocol(await stub(200, info('v0.0.0-devel', { agent_api_version: '2.13' })))).protocol).toBe('v2');
    expect((await probeProtocol(await stub(200, info('v2.14.0-devel+abc', { agent_api_version: '2.2' })))).protocol).toBe('v2');
    const bare = await probeProtocol(await stub(200, info('v0.0.0-devel')));
    expect(bare).toMatchObject({ protocol: 'v1' });
    expect(bare.reason).toMatch(/could not tell/);
  });

  it('a non-200 or non-JSON answer is "could not tell", not an error', async () => {
    const missing = await probeProtocol(await stub(404, '{"message":"Route not found."}'));
    expect(missing.protocol).toBe('v1');
    expect(missing.reason).toMatch(/answered 404/);
    expect((await probeProtocol(await stub(200, 'not json'))).protocol).toBe('v1');
    expect((await probeProtocol(await stub(200, 'null'))).protocol).toBe('v1');
  });

  it('a refused connection throws (the target probe turns that into a harness error)', async () => {
    const url = await stub(200, info('v2.13.0'));
    await servers.pop()!.close();
    await expect(probeProtocol(url)).rejects.toThrow();
  });

  it('resolveProtocol keeps explicit settings without a request and logs what auto chose and why', async () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    expect(await resolveProtocol('v1', 'http://127.0.0.1:9', log)).toBe('v1');
    expect(lines).toEqual([]);
    expect(await resolveProtocol('auto', await stub(200, info('v2.12.0')), log)).toBe('v2');
    expect(lines).toEqual(['[info] protocol auto → v2: Coder v2.12.0 serves both v1 and v2 (2.8–2.12): using v2, what its own agents speak']);
  });

  it('pure rules: non-string fields are ignored', () => {
    expect(chooseProtocol({ version: 213 }).protocol).toBe('v1');
    expect(chooseProtocol({ version: 'v0.0.0-devel', agent_api_version: '3.0' }).protocol).toBe('v1');
    expect(chooseProtocol(undefined).reason).toMatch(/could not tell/);
  });
});

describe('the embedded server answers buildinfo', () => {
  const start = async (opts: ReferenceServerOptions): Promise<ReferenceServer> => {
    const s = await startReferenceServer({ agents: 1, ...opts });
    servers.push(s);
    return s;
  };

  it('default (both APIs, dev build version): version and agent_api_version → v2', async () => {
    const s = await start({});
    const body = (await (await fetch(`${s.url}/api/v2/buildinfo`)).json()) as Record<string, unknown>;
    expect(body).toEqual({
      external_url: 'https://github.com/coder/coder',
      version: 'v0.15.3-devel+fleetsim',
      workspace_proxy: false,
      agent_api_version: '2.13',
    });
    expect((await probeProtocol(s.url)).protocol).toBe('v2');
  });

  it('v1 only: no agent_api_version → v1; a release build version decides by itself', async () => {
    expect((await probeProtocol((await start({ protocols: ['v1'] })).url)).protocol).toBe('v1');
    expect((await probeProtocol((await start({ protocols: ['v1', 'v2'], buildVersion: 'v2.7.0' })).url)).protocol).toBe('v1');
    expect((await probeProtocol((await start({ protocols: ['v2'], buildVersion: 'v2.13.1' })).url)).protocol).toBe('v2');
  });
});
