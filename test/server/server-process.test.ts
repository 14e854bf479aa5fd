import { describe, expect, it } from 'vitest';
import { startReferenceServerProcess } from '../../src/server/server-process.js';
import { ME } from './helpers.js';

describe('startReferenceServerProcess', () => {
  it('starts the server in a child process, answers IPC calls and closes cleanly', async () => {
    const server = await startReferenceServerProcess({ agents: 2, seed: 'proc', rateLimit: -1 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.pid).not.toBe(process.pid);
      expect(server.credentials.agents).toHaveLength(2);
      expect(server.credentials.identity?.google.kid).toBeTruthy();
      const token = server.credentials.agents[0]!.token;
      const res = await fetch(`${server.url}${ME}/report-stats`, { method: 'POST', headers: { 'Coder-Session-Token': token }, body: '{}' });
      expect(res.status).toBe(200);
      await res.text();
      const counters = await server.counters();
      expect(counters.totals.reportStats).toBe(1);
      expect(counters.agents[server.credentials.agents[0]!.id]!.reportStatsZero).toBe(1);
      await server.faults.set('POST /me/report-stats', { status: 500 });
      const failed = await fetch(`${server.url}${ME}/report-stats`, { method: 'POST', headers: { 'Coder-Session-Token': token }, body: '{}' });
      expect(failed.status).toBe(500);
      await failed.text();
      await server.faults.clear();
      const added = await server.provision(1);
      expect(added).toHaveLength(1);
      expect(server.credentials.agents).toHaveLength(3);
      expect(await server.dropAgentSockets(1)).toBe(0);
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}${ME}/metadata`)).rejects.toThrow();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });
});
