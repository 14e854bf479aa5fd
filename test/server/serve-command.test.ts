import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SERVE = fileURLToPath(new URL('../../src/cli/serve.ts', import.meta.url));
const YARGS = import.meta.resolve('yargs');
const TSX = import.meta.resolve('tsx');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('fleetsim serve', () => {
  it('prints exactly "listening on URL", writes 0600 credentials, serves, and exits 0 on SIGINT', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-serve-'));
    const credentials = join(dir, 'creds.json');
    const script = `import yargs from ${JSON.stringify(YARGS)}; import { serveCommand } from ${JSON.stringify(SERVE)};
await yargs(process.argv.slice(1)).command(serveCommand).strict().parseAsync();`;
    const child = spawn(
      process.execPath,
      ['--import', TSX, '--input-type=module', '-e', script, 'serve', '--agents', '2', '--seed', 'cli', '--credentials', credentials, '--report-interval', '1m', '--rate-limit', '-1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout);
      });
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = line.trim().slice('listening on '.length);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(credentials, 'utf8'));
    expect(creds.url).toBe(url);
    expect(creds.agents).toHaveLength(2);
    const res = await fetch(`${url}/api/v2/workspaceagents/me/report-stats`, { method: 'POST', headers: { 'Coder-Session-Token': creds.agents[0].token }, body: '{}' });
    expect(await res.text()).toBe('{"report_interval":60000000000}\n');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toBe(line);
  });
});
