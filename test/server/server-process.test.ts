import { describe, expect, it } from 'vitest';
import { startReferenceServerProcess } from '../../src/server/server-process.js';
import { ME } from './helpers.js';
import { eventually } from '../helpers/eventually.js';

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

describe('server child lifetime', () => {
  it('exits when its parent dies without closing it', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(new URL('../../src/server/server-process.ts', import.meta.url));
    const script = `import { startReferenceServerProcess } from ${JSON.stringify(entry)};
const s = await startReferenceServerProcess({ agents: 1, identity: false });
process.stdout.write(String(s.pid) + '\\n');
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    parent.kill('SIGKILL');
    await eventually(() => !alive(), 'the orphaned server to exit');
  });
});
