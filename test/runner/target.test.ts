import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { FleetsimError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { GetManifestRequestSchema, ManifestSchema } from '../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { metadataDurationToSeconds } from '../../src/protocol/v2/messages.js';
import { startTarget } from '../../src/runner/target.js';
import { validateScenario } from '../../src/scenario/load.js';
import { ME } from '../server/helpers.js';
import { closeClient, mustDial } from '../server/v2/helpers.js';

/** The metadata descriptions of agent 0's v2 manifest, as [key, interval s, timeout s]. */
async function manifestMetadata(url: string, token: string): Promise<[string, number, number][]> {
  const client = await mustDial(url, `${ME}/rpc?version=2.2`, token);
  try {
    const manifest = fromBinary(
      ManifestSchema,
      await client.client.unary('/coder.agent.v2.Agent/GetManifest', toBinary(GetManifestRequestSchema, create(GetManifestRequestSchema))),
    );
    return manifest.metadata.map((d) => [d.key, metadataDurationToSeconds(d.interval), metadataDurationToSeconds(d.timeout)]);
  } finally {
    await closeClient(client);
  }
}

describe('startTarget: the embedded server process', () => {
  it.each([
    ['server.metadata', [{ key: 'disk', interval: '1m', timeout: '5s' }], [['disk', 60, 5]]],
    [
      'no server.metadata (the server default)',
      undefined,
      [
        ['cpu_usage', 10, 1],
        ['ram_usage', 30, 1],
      ],
    ],
  ])('gets %s', async (_name, metadata, expected) => {
    const scenario = validateScenario(
      { name: 'target', duration: '1s', agents: { count: 1 }, server: { rateLimit: -1, ...(metadata ? { metadata } : {}) } },
      'x',
    );
    const target = await startTarget(scenario, 1, silentLogger);
    try {
      expect(target.target.embedded).toBe(true);
      expect(await manifestMetadata(target.upstreamUrl, target.credentials.agents[0]!.token)).toEqual(expected);
    } finally {
      await target.close();
    }
  });
});

describe('startTarget: server.protocols', () => {
  it("['v2'] acts like Coder >= 2.13: the removed v1 routes answer 404, /me/rpc still serves", async () => {
    const scenario = validateScenario(
      { name: 'target', duration: '1s', agents: { count: 1, protocol: 'v2' }, server: { rateLimit: -1, protocols: ['v2'] } },
      'x',
    );
    const target = await startTarget(scenario, 1, silentLogger);
    try {
      const token = target.credentials.agents[0]!.token;
      const v1 = await fetch(`${target.upstreamUrl}${ME}/metadata`, { headers: { 'Coder-Session-Token': token } });
      expect(v1.status).toBe(404);
      await v1.body?.cancel();
      expect(await manifestMetadata(target.upstreamUrl, token)).toHaveLength(2);
    } finally {
      await target.close();
    }
  });

  it.each([[[]], [['v2', 'v2']], [['v3']]])('rejects %j with its path', (protocols) => {
    let issues: readonly string[] = [];
    try {
      validateScenario({ name: 'p', duration: '1s', agents: { count: 1 }, server: { protocols } }, 'x');
    } catch (error) {
      issues = (error as FleetsimError).issues ?? [];
    }
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^server\.protocols/);
  });
});
