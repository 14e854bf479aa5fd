import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { loadCredentialsFile } from '../../src/runner/credentials-file.js';
import { runMain } from '../cli/cli-io.js';

const TOKEN = '3f2c1a7e-9b8d-4c6e-a5f4-0123456789ab';
const USER_TOKEN = 'abcdefghij-ZYXWVUTSRQPONMLKJIHGFEDC';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-creds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every 6-character piece of a secret: none may appear in an error. */
function pieces(secret: string): string[] {
  return Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));
}

describe('credentials file with a JSON syntax error', () => {
  // A missing comma right after the token: JSON.parse's own message would quote the token.
  const text = `{\n  "url": "http://127.0.0.1:7080",\n  "userToken": "${USER_TOKEN}"\n  "agents": [{ "token": "${TOKEN}" }]\n}\n`;

  it('says where (line:column) and never shows the text', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, text);
    const error = await loadCredentialsFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetsimError);
    const { message, hint, issues } = error as FleetsimError;
    expect(message).toBe(`credentials file ${file} is not valid JSON: syntax error at line 4, column 3`);
    for (const piece of [...pieces(USER_TOKEN), ...pieces(TOKEN)]) {
      expect(`${message} ${hint} ${issues.join(' ')}`).not.toContain(piece);
    }
  });

  it('the CLI prints it as a usage error (exit 2) with no part of a token', async () => {
    const file = join(dir, 'broken-cli.json');
    await writeFile(file, text);
    const scenario = join(dir, 'tiny.json');
    await writeFile(scenario, JSON.stringify({ name: 'tiny', duration: '5s', agents: { count: 1 } }));
    const result = await runMain(['run', scenario, '--target', 'http://127.0.0.1:9', '--credentials', file, '--out', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('syntax error at line 4, column 3');
    for (const piece of [...pieces(USER_TOKEN), ...pieces(TOKEN)]) expect(result.stderr).not.toContain(piece);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const file = join(dir, 'bom.json');
    await writeFile(file, `\uFEFF{"url": 1}`);
    const error = (await loadCredentialsFile(file).catch((e: unknown) => e)) as FleetsimError;
    expect(error.message).toBe(`credentials file ${file} is invalid`); // parsed, then validated
  });
});
