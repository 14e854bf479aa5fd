import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { call, ME } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';
import { eventually } from '../helpers/eventually.js';

/** Sends raw bytes and collects whatever comes back until the server closes or `ms` pass. */
function raw(url: string, bytes: string, endAfterWrite = false): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    const done = (): void => {
      socket.destroy();
      resolve(out);
    };
    socket.on('data', (d) => (out += d.toString()));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes, () => {
      if (endAfterWrite) socket.destroy();
    });
    setTimeout(done, 2_000).unref();
  });
}

describe('malformed input never crashes the server or half-writes state', () => {
  it('survives garbage, broken HTTP, and aborted bodies', async () => {
    const server = await startReferenceServer({ agents: 1 });
    const token = server.credentials.agents[0]!.token;
    try {
      expect(await raw(server.url, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
      expect(await raw(server.url, `GET /api/v2/workspaceagents/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/);
      // A body cut off mid-way: the handler never runs.
      const partial = `POST ${ME}/report-lifecycle HTTP/1.1\r\nHost: x\r\nCoder-Session-Token: ${token}\r\nContent-Length: 100\r\n\r\n{"state":"ready"`;
      await raw(server.url, partial, true);
      // An upgrade to a plain route is answered as plain HTTP.
      const upgrade = await raw(
        server.url,
        `GET ${ME}/metadata HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nCoder-Session-Token: ${token}\r\n\r\n`,
      );
      expect(upgrade).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(upgrade).toContain('"git_auth_configs":1');
      const counters = server.counters();
      expect(counters.totals.lifecycleStates).toBe(0);
      expect((await call(server, `${ME}/metadata`, { token })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('ends a waiting gitauth listen poll on server close', async () => {
    const server = await startReferenceServer({ agents: 1 });
    const token = server.credentials.agents[0]!.token;
    const pending = call(server, `${ME}/gitauth?url=https://github.com/a&listen`, { token }).then(
      (r) => `answered ${r.status}`,
      () => 'closed',
    );
    await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
    await server.close();
    expect(await pending).toBe('closed');
  });
});
