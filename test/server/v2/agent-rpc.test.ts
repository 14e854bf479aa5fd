import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrpcError } from '../../../src/protocol/v2/wire-errors.js';
import {
  AppHealth,
  BatchUpdateAppHealthRequestSchema,
  GetManifestRequestSchema,
  Lifecycle_State,
  LifecycleSchema,
  ManifestSchema,
  UpdateLifecycleRequestSchema,
  UpdateStatsRequestSchema,
  UpdateStatsResponseSchema,
} from '../../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { uuidFromBytes, uuidToBytes } from '../../../src/server/v2/go-format.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { AGENTS, call, ME } from '../helpers.js';
import { closeClient, dialV2, mustDial, type V2Client } from './helpers.js';

const RPC = `${ME}/rpc`;
const A = '/coder.agent.v2.Agent/';

async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DrpcError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('GET /me/rpc (docs/protocol-v2.md §1, §5)', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ reportIntervalMs: 30_000 });
  });
  afterAll(() => server.close());
  const token = (i = 0) => server.credentials.agents[i]!.token;

  it('answers a bad or unsupported version with coderd 400 body, before any upgrade', async () => {
    const cases: [string, string][] = [
      ['3.0', 'server is at version 2.13, behind requested major version 3.0'],
      ['2.99', 'server is at version 2.13, behind requested minor version 2.99'],
      ['abc', 'invalid version string: abc'],
      ['0.1', 'version 0.1 is no longer supported'],
    ];
    for (const [version, detail] of cases) {
      const r = await dialV2(server.url, `${RPC}?version=${version}`, token());
      expect(r).toEqual({
        ok: false,
        status: 400,
        body: JSON.stringify({ message: 'Unknown or unsupported API version', validations: [{ field: 'version', detail }] }) + '\n',
      });
    }
    expect(server.counters().totals.v2.versionRejected).toBe(cases.length);
  });

  it('refuses a missing or invalid token with 401 (auth runs before the version check)', async () => {
    const none = await dialV2(server.url, `${RPC}?version=9.0`, undefined);
    expect(none).toMatchObject({ ok: false, status: 401 });
    expect(JSON.parse((none as { body: string }).body)).toEqual({ message: 'Cookie "coder_session_token" must be provided.' });
    const bad = await dialV2(server.url, `${RPC}?version=2.0`, 'nope');
    expect(JSON.parse((bad as { body: string }).body)).toEqual({
      message: 'Workspace agent token invalid.',
      detail: 'An agent token must be a valid UUIDv4. (len 4)',
    });
    const unknown = await dialV2(server.url, `${RPC}?version=2.0`, '11111111-2222-3333-4444-555555555555');
    expect(JSON.parse((unknown as { body: string }).body).message).toBe('Workspace agent not authorized.');
    // A plain request gets the handshake error after auth and version.
    const plain = await call(server, `${RPC}?version=2.0`, { token: token() });
    expect(plain.status).toBe(426);
  });

  it('serves GetManifest, UpdateStats, UpdateLifecycle and app health with coderd errors; counts them per agent', async () => {
    const agent = server.credentials.agents[1]!;
    // Cookie auth, as the Go agent dials.
    const dialed = await dialV2(server.url, `${RPC}?version=2.4`, agent.token, 'cookie');
    if (!dialed.ok) throw new Error(dialed.body);
    const c: V2Client = dialed.client;
    try {
      const manifest = fromBinary(
        ManifestSchema,
        await c.client.unary(A + 'GetManifest', toBinary(GetManifestRequestSchema, create(GetManifestRequestSchema))),
      );
      expect(uuidFromBytes(manifest.agentId)).toEqual({ ok: true, uuid: agent.id });
      expect(manifest.derpMap?.homeParams).toBeDefined();

      const stats = fromBinary(
        UpdateStatsResponseSchema,
        await c.client.unary(A + 'UpdateStats', toBinary(UpdateStatsRequestSchema, create(UpdateStatsRequestSchema))),
      );
      expect(stats.reportInterval).toMatchObject({ seconds: 30n, nanos: 0 });
      await c.client.unary(A + 'UpdateStats', toBinary(UpdateStatsRequestSchema, create(UpdateStatsRequestSchema, { stats: { rxBytes: 10n } })));

      for (const state of [Lifecycle_State.STARTING, Lifecycle_State.READY]) {
        const echoed = fromBinary(
          LifecycleSchema,
          await c.client.unary(
            A + 'UpdateLifecycle',
            toBinary(UpdateLifecycleRequestSchema, create(UpdateLifecycleRequestSchema, { lifecycle: { state, changedAt: { seconds: 1_700_000_000n } } })),
          ),
        );
        expect(echoed.state).toBe(state);
      }
      expect(
        await rpcError(c.client.unary(A + 'UpdateLifecycle', toBinary(UpdateLifecycleRequestSchema, create(UpdateLifecycleRequestSchema, { lifecycle: {} })))),
      ).toEqual({
        code: 0,
        message: 'unknown lifecycle state "STATE_UNSPECIFIED"',
      });

      const unknownApp = '11111111-2222-3333-4444-555555555555';
      const health = create(BatchUpdateAppHealthRequestSchema, { updates: [{ id: uuidToBytes(unknownApp), health: AppHealth.HEALTHY }] });
      expect(await rpcError(c.client.unary(A + 'BatchUpdateAppHealths', toBinary(BatchUpdateAppHealthRequestSchema, health)))).toEqual({
        code: 0,
        message: `workspace app ID "${unknownApp}" not found`,
      });
      expect(await rpcError(c.client.unary(A + 'CreateSubAgent', new Uint8Array()))).toEqual({ code: 12, message: 'Unimplemented' });
      expect(await rpcError(c.client.unary(A + 'NoSuchThing', new Uint8Array()))).toEqual({
        code: 0,
        message: 'protocol error: unknown rpc: "/coder.agent.v2.Agent/NoSuchThing"',
      });

      const counted = server.counters().agents[agent.id]!.v2;
      expect(counted).toMatchObject({
        rpcOpened: 1,
        connected: true,
        calls: { GetManifest: 1, UpdateStats: 2, UpdateLifecycle: 2 },
        errors: { UpdateLifecycle: 1, BatchUpdateAppHealths: 1, CreateSubAgent: 1 },
        statsIntervalOnly: 1,
        statsReports: 1,
        lifecycleStates: ['starting', 'ready'],
      });
      expect(server.counters().totals.v2.agentsConnected).toBe(1);
      // GET /{id} reads the v2 session's connection and lifecycle.
      const view = JSON.parse((await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).text);
      expect(view).toMatchObject({ status: 'connected', lifecycle_state: 'ready' });
    } finally {
      await closeClient(c);
    }
    await eventually(() => server.counters().agents[agent.id]!.v2.rpcClosed === 1, 'session end seen');
    expect(server.counters().agents[agent.id]!.v2.connected).toBe(false);
  });

  it('dropAgentSockets closes v2 sessions too', async () => {
    const agent = server.credentials.agents[2]!;
    const c = await mustDial(server.url, `${RPC}?version=2.0`, agent.token);
    await eventually(() => server.counters().agents[agent.id]?.v2.connected === true, 'session registered');
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    expect(server.dropAgentSockets(1)).toBe(1);
    expect(await closed).toBe(1001);
    await eventually(() => server.counters().agents[agent.id]!.v2.connected === false, 'session end seen');
  });

  it('keeps /me/rpc off when only v1 is served, and the removed v1 routes off when only v2 is', async () => {
    const v1only = await startReferenceServer({ protocols: ['v1'] });
    const v2only = await startReferenceServer({ protocols: ['v2'] });
    try {
      const r = await dialV2(v1only.url, `${RPC}?version=2.0`, v1only.credentials.agents[0]!.token);
      expect(r).toEqual({ ok: false, status: 404, body: '{"message":"Route not found."}\n' });
      const t = v2only.credentials.agents[0]!.token;
      for (const [path, method] of [
        ['metadata', 'GET'],
        ['report-stats', 'POST'],
        ['report-lifecycle', 'POST'],
        ['app-health', 'POST'],
        ['version', 'POST'],
        ['coordinate', 'GET'],
      ] as const) {
        const res = await call(v2only, `${ME}/${path}`, { method, token: t, body: method === 'POST' ? '{}' : undefined });
        expect([path, res.status, res.text]).toEqual([path, 404, '{"message":"Route not found."}\n']);
      }
      expect((await call(v2only, `${ME}/gitsshkey`, { token: t })).status).toBe(200);
      // v1 JSON clients are refused on /{id}/coordinate without v1.
      const client = await dialV2(v2only.url, `${AGENTS}/${v2only.credentials.agents[0]!.id}/coordinate`, v2only.credentials.userToken);
      expect(client).toMatchObject({ ok: false, status: 400 });
      expect(JSON.parse((client as { body: string }).body).validations).toEqual([{ field: 'version', detail: 'version 1.0 is no longer supported' }]);
      const ok = await mustDial(v2only.url, `${RPC}?version=2.13`, t);
      await closeClient(ok);
    } finally {
      await v1only.close();
      await v2only.close();
    }
  });
});
