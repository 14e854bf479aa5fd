import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { testIO } from '../cli/cli-io.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('fleetsim serve', () => {
  it.each(['SIGINT', 'SIGHUP'])('prints exactly "listening on URL", writes 0600 credentials, serves, and exits 0 on %s', async (signal) => {
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-serve-'));
    const io = testIO({ cwd: dir });
    const exited = main(['serve', '--agents', '2', '--seed', 'cli', '--credentials', 'creds.json', '--report-interval', '1m', '--rate-limit', '-1'], io);
    const [line] = await io.stdout.waitFor(/^listening on .*\n/);
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = line.trim().slice('listening on '.length);
    const credentials = join(dir, 'creds.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(credentials, 'utf8'));
    expect(creds.url).toBe(url);
    expect(creds.agents).toHaveLength(2);
    const res = await fetch(`${url}/api/v2/workspaceagents/me/report-stats`, {
      method: 'POST',
      headers: { 'Coder-Session-Token': creds.agents[0].token },
      body: '{}',
    });
    expect(await res.text()).toBe('{"report_interval":60000000000}\n');
    io.signals.emit(signal);
    expect(await exited).toBe(0);
    expect(io.stdout.text).toBe(line);
    expect(io.signals.eventNames()).toEqual([]);
    await expect(fetch(url)).rejects.toThrow(); // closed
  });
});
