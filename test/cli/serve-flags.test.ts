import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { GetManifestRequestSchema, ManifestSchema } from '../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { metadataDurationToSeconds } from '../../src/protocol/v2/messages.js';
import { call, ME } from '../server/helpers.js';
import { closeClient, mustDial } from '../server/v2/helpers.js';
import { runMain, testIO } from './cli-io.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-serve-flags-'));
  await writeFile(
    join(dir, 'metadata.json'),
    JSON.stringify([
      { key: 'disk', displayName: 'Disk', script: 'df -h', interval: '1m', timeout: '5s' },
      { key: 'load', interval: '0s' },
    ]),
  );
  await writeFile(
    join(dir, 'bad-metadata.json'),
    JSON.stringify([
      { key: 'a', interval: '1500ms' },
      { key: 'a', interval: '1s', tiemout: '1s' },
    ]),
  );
  await writeFile(join(dir, 'not-json.json'), '[{ key: ');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fleetsim serve: git-auth owner and manifest metadata flags', () => {
  it('--git-auth-answer-after answers listen polls and --metadata-file fills the v2 manifest', async () => {
    const io = testIO({ cwd: dir });
    const exited = main(
      ['serve', '--agents', '1', '--git-auth-answer-after', '0s', '--git-auth-link-ttl', '1h', '--metadata-file', 'metadata.json', '--credentials', 'c.json'],
      io,
    );
    try {
      const [, url] = await io.stdout.waitFor(/^listening on (\S+)\n/);
      const server = { url: url! };
      const creds = JSON.parse(await readFile(join(dir, 'c.json'), 'utf8')) as { agents: { token: string }[] };
      const token = creds.agents[0]!.token;

      // The simulated owner signs in at once, so the poll gets credentials (without the flag nobody would).
      const poll = await call(server, `${ME}/gitauth?url=https://github.com/a&listen`, { token });
      expect(poll.status).toBe(200);
      expect(JSON.parse(poll.text).username).toMatch(/^gho_fleetsimAuto/);

      const client = await mustDial(server.url, `${ME}/rpc?version=2.2`, token);
      try {
        const manifest = fromBinary(
          ManifestSchema,
          await client.client.unary('/coder.agent.v2.Agent/GetManifest', toBinary(GetManifestRequestSchema, create(GetManifestRequestSchema))),
        );
        expect(
          manifest.metadata.map((d) => ({
            key: d.key,
            displayName: d.displayName,
            script: d.script,
            interval: metadataDurationToSeconds(d.interval),
            timeout: metadataDurationToSeconds(d.timeout),
          })),
        ).toEqual([
          { key: 'disk', displayName: 'Disk', script: 'df -h', interval: 60, timeout: 5 },
          { key: 'load', displayName: 'load', script: '', interval: 0, timeout: 1 },
        ]);
      } finally {
        await closeClient(client);
      }
    } finally {
      io.signals.emit('SIGINT');
      expect(await exited).toBe(0);
    }
  });

  const usage: [string, string[], RegExp][] = [
    ['--git-auth-link-ttl alone', ['--git-auth-link-ttl', '1h'], /--git-auth-link-ttl needs --git-auth-answer-after/],
    ['--git-auth-answer-after 5x', ['--git-auth-answer-after', '5x'], /--git-auth-answer-after: .*"5x"/],
    [
      '--git-auth-link-ttl 0s',
      ['--git-auth-answer-after', '1s', '--git-auth-link-ttl', '0s'],
      /--git-auth-link-ttl must be a duration greater than 0, got "0s"/,
    ],
    ['a missing --metadata-file', ['--metadata-file', 'nope.json'], /--metadata-file nope\.json: ENOENT/],
    ['a --metadata-file that is not JSON', ['--metadata-file', 'not-json.json'], /--metadata-file not-json\.json: .*JSON/],
    [
      'a --metadata-file with bad entries (every problem, with its path)',
      ['--metadata-file', 'bad-metadata.json'],
      /3 problems[\s\S]*metadata\[0\]\.interval: must be whole seconds[\s\S]*metadata\[1\]\.tiemout: unknown key \(did you mean "timeout"\?\)[\s\S]*metadata\[1\]\.key: repeats the key "a" of metadata\[0\]/,
    ],
  ];
  it.each(usage)('%s is a usage error before the server starts', async (_name, flags, message) => {
    const io = testIO({ cwd: dir });
    const result = await runMain(['serve', ...flags], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(io.signals.eventNames()).toEqual([]);
  });
});
