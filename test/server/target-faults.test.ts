import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { startReferenceServerProcess } from '../../src/server/server-process.js';
import { eventually } from '../helpers/eventually.js';
import { startReferenceServer as startServer } from '../helpers/loopback.js';
import { call, ME, post } from './helpers.js';

const NOT_AUTHORIZED = {
  message: 'Workspace agent not authorized.',
  detail: 'The agent cannot authenticate until the workspace provision job has been completed. If the job is no longer running, this agent is invalid.',
};

function coordinate(server: { url: string }, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${ME}/coordinate`, { headers: { 'Coder-Session-Token': token } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('embedded target faults', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('restart: cuts every connection, refuses while down, keeps port and state when back', async () => {
    server = await startServer({ agents: 2 });
    const s = server;
    const [a, b] = s.credentials.agents;
    expect((await post(s, `${ME}/report-stats`, a!.token, '{}')).status).toBe(200);
    const ws = await coordinate(s, b!.token);
    await eventually(() => s.counters().totals.agentsConnected === 1, 'agent connected');
    const closed = once(ws, 'close');

    const cut = await s.restart.down();
    expect(cut).toBeGreaterThanOrEqual(1);
    expect(s.restart.isDown).toBe(true);
    const [code] = (await closed) as [number];
    expect(code).toBe(1006);
    await expect(fetch(`${s.url}${ME}/metadata`)).rejects.toThrow();
    await eventually(() => s.counters().totals.agentsConnected === 0, 'socket gone');

    await s.restart.up();
    expect(s.restart.isDown).toBe(false);
    // Same URL, same tokens, counters kept.
    expect((await post(s, `${ME}/report-stats`, a!.token, '{}')).status).toBe(200);
    expect(s.counters().totals.reportStats).toBe(2);
    const again = await coordinate(s, b!.token);
    await eventually(() => s.counters().totals.agentsConnected === 1, 'reconnected');
    again.close();
    await once(again, 'close');
  });

  it("revoke-tokens: a seeded share answers coderd's 401 and loses its socket until restore", async () => {
    server = await startServer({ agents: 4, seed: 'revoke' });
    const s = server;
    const sockets = await Promise.all(s.credentials.agents.map((agent) => coordinate(s, agent.token)));
    await eventually(() => s.counters().totals.agentsConnected === 4, 'all connected');
    const closes = sockets.map((ws) => once(ws, 'close').then(() => true));

    const { revoked, dropped } = s.revokeTokens(0.5);
    expect(revoked).toBe(2);
    expect(dropped).toBe(2);
    const answers = await Promise.all(s.credentials.agents.map((agent) => call(s, `${ME}/metadata`, { token: agent.token })));
    const refused = answers.filter((answer) => answer.status === 401);
    expect(refused).toHaveLength(2);
    expect(JSON.parse(refused[0]!.text)).toEqual(NOT_AUTHORIZED);
    await eventually(() => s.counters().totals.agentsConnected === 2, 'revoked sockets closed');
    // A second revoke of the same share changes nothing (already-revoked tokens count).
    expect(s.revokeTokens(0.5)).toEqual({ revoked: 0, dropped: 0 });

    expect(s.restoreTokens()).toBe(2);
    const after = await Promise.all(s.credentials.agents.map((agent) => call(s, `${ME}/metadata`, { token: agent.token })));
    expect(after.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    for (const ws of sockets) ws.close();
    await Promise.all(closes);
  });

  it('revoke-tokens picks the same agents for the same seed', async () => {
    const pick = async (): Promise<number[]> => {
      const s = await startServer({ agents: 10, seed: 'same' });
      try {
        s.revokeTokens(0.3);
        const answers = await Promise.all(s.credentials.agents.map((agent) => call(s, `${ME}/metadata`, { token: agent.token })));
        return answers.flatMap((answer, i) => (answer.status === 401 ? [i] : []));
      } finally {
        await s.close();
      }
    };
    const first = await pick();
    expect(first).toHaveLength(3);
    expect(await pick()).toEqual(first);
  });

  it('the server child serves the fault controls over IPC', async () => {
    const remote = await startReferenceServerProcess({ agents: 2, seed: 'ipc', rateLimit: -1, identity: false });
    try {
      const token = remote.credentials.agents[0]!.token;
      expect(await remote.revokeTokens(1)).toEqual({ revoked: 2, dropped: 0 });
      expect((await call(remote, `${ME}/metadata`, { token })).status).toBe(401);
      expect(await remote.restoreTokens()).toBe(2);
      // fetch's keep-alive connection (if still open) is cut too.
      expect(await remote.restart.down()).toBeTypeOf('number');
      await expect(fetch(`${remote.url}${ME}/metadata`)).rejects.toThrow();
      await remote.restart.up();
      expect((await call(remote, `${ME}/metadata`, { token })).status).toBe(200);
    } finally {
      await remote.close();
    }
  });
});
