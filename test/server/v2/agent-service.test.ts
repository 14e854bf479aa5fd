import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { defaultDerpMap } from '../../../src/protocol/derp-map.js';
import {
  AppHealth,
  BatchCreateLogsRequestSchema,
  BatchUpdateAppHealthRequestSchema,
  BatchUpdateMetadataRequestSchema,
  Connection_Action,
  Connection_Type,
  ReportConnectionRequestSchema,
  WorkspaceAgentScriptCompletedRequestSchema,
  Lifecycle_State,
  ManifestSchema,
  UpdateLifecycleRequestSchema,
  UpdateStartupRequestSchema,
  UpdateStatsRequestSchema,
  WorkspaceApp_Health,
  type Manifest,
} from '../../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { manifestProblems } from '../../../src/protocol/v2/manifest-check.js';
import { fixtureAgents, fixtureUser } from '../../../src/server/fixtures.js';
import { resolveOptions } from '../../../src/server/options.js';
import type { ServerState } from '../../../src/server/state.js';
import { AgentStore, type AgentRecord } from '../../../src/server/store.js';
import { AGENT_METHOD_BY_NAME, RpcError, type AgentRpcContext } from '../../../src/server/v2/agent-service.js';
import { uuidFromBytes, uuidToBytes } from '../../../src/server/v2/go-format.js';
import { manualClock } from '../../helpers/clock.js';

function setup(): { ctx: AgentRpcContext; agent: AgentRecord; clock: ReturnType<typeof manualClock> } {
  const clock = manualClock();
  const store = new AgentStore();
  // Find a fixture agent with an app that has a healthcheck and one that has none (seeded).
  const fixtures = fixtureAgents('1', 0, 40);
  const pick = fixtures.find((f) => f.apps.some((a) => a.healthcheck) && f.apps.some((a) => !a.healthcheck) && f.startupScript) ?? fixtures[0]!;
  const agent = store.add(pick, clock.wallNow());
  const s = {
    opts: resolveOptions({ reportIntervalMs: 30_000 }),
    clock,
    wallNow: () => clock.wallNow(),
    store,
    user: fixtureUser('1'),
    accessUrl: new URL('http://127.0.0.1:3000'),
    derpMap: defaultDerpMap('http://127.0.0.1:3000'),
  } as unknown as ServerState;
  return { ctx: { s, agent, apiVersion: '2.4' }, agent, clock };
}

function call(ctx: AgentRpcContext, name: string, req: unknown): unknown {
  const m = AGENT_METHOD_BY_NAME.get(name)!;
  // Through the wire encoding, as the session layer does.
  const decoded = fromBinary(m.input, toBinary(m.input, req as never));
  const out = m.handle(ctx, decoded as never);
  return fromBinary(m.output, toBinary(m.output, out as never));
}

function rpcError(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof RpcError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('Agent service handlers (docs/protocol-v2.md §5)', () => {
  it('GetManifest carries what the Go agent requires', () => {
    const { ctx, agent } = setup();
    const m = call(ctx, 'GetManifest', {}) as Manifest;
    expect(manifestProblems(m)).toEqual([]);
    expect(uuidFromBytes(m.agentId)).toEqual({ ok: true, uuid: agent.id });
    expect(uuidFromBytes(m.workspaceId)).toEqual({ ok: true, uuid: agent.workspaceId });
    expect(m.derpMap?.homeParams).toBeDefined();
    expect(Object.keys(m.derpMap!.regions)).toEqual(['999']);
    expect(m.vsCodePortProxyUri).toBe('');
    expect(m.apps.length).toBe(agent.apps.length);
    for (const app of m.apps) {
      expect(app.id.length).toBe(16);
      expect(app.healthcheck).toBeDefined();
      expect(app.sharingLevel).not.toBe(0);
      expect(app.health).not.toBe(WorkspaceApp_Health.HEALTH_UNSPECIFIED);
    }
    expect(m.scripts.every((sc) => sc.logSourceId.length === 16)).toBe(true);
    expect(m.scripts.length).toBe(agent.startupScript ? 1 : 0);
    // Round-trips as bytes.
    expect(fromBinary(ManifestSchema, toBinary(ManifestSchema, m)).agentName).toBe(agent.name);
  });

  it('UpdateStats answers the interval and tells the interval-only call from a report', () => {
    const { ctx, agent } = setup();
    const first = call(ctx, 'UpdateStats', create(UpdateStatsRequestSchema, {})) as { reportInterval?: { seconds: bigint } };
    expect(first.reportInterval?.seconds).toBe(30n);
    call(ctx, 'UpdateStats', create(UpdateStatsRequestSchema, { stats: {} }));
    expect(agent.counters.v2).toMatchObject({ statsIntervalOnly: 1, statsReports: 1 });
  });

  it('UpdateLifecycle accepts any order of states and refuses unspecified / unknown values', () => {
    const { ctx, agent } = setup();
    for (const state of [Lifecycle_State.STARTING, Lifecycle_State.READY, Lifecycle_State.SHUTTING_DOWN, Lifecycle_State.OFF, Lifecycle_State.CREATED]) {
      call(ctx, 'UpdateLifecycle', create(UpdateLifecycleRequestSchema, { lifecycle: { state, changedAt: { seconds: 1_700_000_000n } } }));
    }
    expect(agent.counters.v2.lifecycleStates).toEqual(['starting', 'ready', 'shutting_down', 'off', 'created']);
    expect(agent.lifecycleState).toBe('created');
    expect(rpcError(() => call(ctx, 'UpdateLifecycle', create(UpdateLifecycleRequestSchema, { lifecycle: { state: 0 } })))).toEqual({
      code: 0,
      message: 'unknown lifecycle state "STATE_UNSPECIFIED"',
    });
    expect(rpcError(() => call(ctx, 'UpdateLifecycle', create(UpdateLifecycleRequestSchema, { lifecycle: { state: 42 as Lifecycle_State } }))).message).toBe(
      'unknown lifecycle state "42"',
    );
    // changed_at absent: the server's time, echoed back.
    const echoed = call(ctx, 'UpdateLifecycle', create(UpdateLifecycleRequestSchema, { lifecycle: { state: Lifecycle_State.READY } })) as {
      changedAt?: { seconds: bigint };
    };
    expect(echoed.changedAt?.seconds).toBe(BigInt(Math.floor(ctx.s.wallNow() / 1000)));
  });

  it('BatchUpdateAppHealths validates every update before writing', () => {
    const { ctx, agent } = setup();
    const withHc = agent.apps.find((a) => a.healthcheck)!;
    const without = agent.apps.find((a) => !a.healthcheck)!;
    const unknown = '11111111-2222-3333-4444-555555555555';
    const req = (id: string | Uint8Array, health = AppHealth.HEALTHY) =>
      create(BatchUpdateAppHealthRequestSchema, {
        updates: [
          { id: uuidToBytes(withHc.id), health: AppHealth.UNHEALTHY },
          { id: typeof id === 'string' ? uuidToBytes(id) : id, health },
        ],
      });
    expect(rpcError(() => call(ctx, 'BatchUpdateAppHealths', req(unknown))).message).toBe(`workspace app ID "${unknown}" not found`);
    expect(agent.appHealth.get(withHc.id)).toBe('initializing'); // nothing written
    expect(rpcError(() => call(ctx, 'BatchUpdateAppHealths', req(without.id))).message).toBe(
      `workspace app "${without.id}" ("${without.slug}") does not have healthchecks enabled`,
    );
    expect(rpcError(() => call(ctx, 'BatchUpdateAppHealths', req(new Uint8Array([1, 2])))).message).toBe(
      'parse workspace app ID "\\x01\\x02": invalid UUID (got 2 bytes)',
    );
    expect(rpcError(() => call(ctx, 'BatchUpdateAppHealths', req(withHc.id, AppHealth.APP_HEALTH_UNSPECIFIED))).message).toBe(
      `unknown health status "APP_HEALTH_UNSPECIFIED" for app "${withHc.id}" ("${withHc.slug}")`,
    );
    call(ctx, 'BatchUpdateAppHealths', create(BatchUpdateAppHealthRequestSchema, { updates: [{ id: uuidToBytes(withHc.id), health: AppHealth.HEALTHY }] }));
    expect(agent.appHealth.get(withHc.id)).toBe('healthy');
    expect(agent.counters.v2.appHealthUpdates).toBe(1);
  });

  it('UpdateStartup requires a Go semver with a leading v and known subsystems', () => {
    const { ctx, agent } = setup();
    expect(rpcError(() => call(ctx, 'UpdateStartup', create(UpdateStartupRequestSchema, { startup: { version: '2.21.0' } }))).message).toBe(
      'invalid agent semver version "2.21.0"',
    );
    expect(rpcError(() => call(ctx, 'UpdateStartup', create(UpdateStartupRequestSchema, { startup: { version: 'v2.21.0', subsystems: [0] } }))).message).toBe(
      'invalid agent subsystem "SUBSYSTEM_UNSPECIFIED"',
    );
    call(
      ctx,
      'UpdateStartup',
      create(UpdateStartupRequestSchema, { startup: { version: 'v2.21.0', expandedDirectory: '/home/coder', subsystems: [3, 1, 3] } }),
    );
    expect(agent.version).toBe('v2.21.0');
    expect(agent.v2).toMatchObject({ expandedDirectory: '/home/coder', subsystems: ['envbox', 'exectrace'], apiVersion: '2.4' });
  });

  it('BatchUpdateMetadata stores keys up to 6144 bytes, then fails', () => {
    const { ctx, agent } = setup();
    const long = 'x'.repeat(3000);
    const req = create(BatchUpdateMetadataRequestSchema, {
      metadata: [
        { key: `a${long}`, result: { value: 'v'.repeat(2049) } },
        { key: `b${long}`, result: { error: 'e'.repeat(3000) } },
        { key: `c${long}`, result: { value: '1' } },
        { key: 'd', result: { value: '2' } },
      ],
    });
    expect(rpcError(() => call(ctx, 'BatchUpdateMetadata', req)).message).toBe('metadata keys of 9004 bytes exceeded 6144 bytes');
    expect(agent.counters.v2.metadataKeys).toBe(2);
    expect(agent.v2!.metadata.get(`a${long}`)).toMatchObject({ value: 'v'.repeat(2048), error: 'value of 2049 bytes exceeded 2048 bytes' });
    expect(agent.v2!.metadata.get(`b${long}`)?.error).toBe('error of 3000 bytes exceeded 2048 bytes');
  });

  it('BatchCreateLogs counts lines and refuses the batch that crosses 1 MiB', () => {
    const { ctx, agent } = setup();
    const line = 'y'.repeat(512 * 1024);
    const req = (output: string) => create(BatchCreateLogsRequestSchema, { logSourceId: new Uint8Array(16), logs: [{ output, level: 3 }] });
    expect(call(ctx, 'BatchCreateLogs', req(line))).toMatchObject({ logLimitExceeded: false });
    expect(call(ctx, 'BatchCreateLogs', req(line))).toMatchObject({ logLimitExceeded: false });
    expect(call(ctx, 'BatchCreateLogs', req('z'))).toMatchObject({ logLimitExceeded: true });
    expect(call(ctx, 'BatchCreateLogs', create(BatchCreateLogsRequestSchema, {}))).toMatchObject({ logLimitExceeded: true });
    expect(agent.counters.v2).toMatchObject({ logLines: 2, logBytes: 1024 * 1024, logLimitExceeded: 2 });
    expect(agent.v2!.logSources).toEqual(new Set(['3b579bf4-1ed8-4b99-87a8-e9a1e3410410']));
    // An overflowed agent is answered before anything is parsed; a fresh one gets the parse error.
    const fresh = setup().ctx;
    expect(
      rpcError(() => call(fresh, 'BatchCreateLogs', create(BatchCreateLogsRequestSchema, { logSourceId: new Uint8Array(3), logs: [{ output: 'a' }] }))).message,
    ).toMatch(/^parse log source ID ".*": invalid UUID \(got 3 bytes\)$/);
  });

  it('ScriptCompleted and ReportConnection check their ids and count', () => {
    const { ctx, agent } = setup();
    const id = uuidToBytes('11111111-2222-3333-4444-555555555555');
    expect(
      rpcError(() => call(ctx, 'ScriptCompleted', create(WorkspaceAgentScriptCompletedRequestSchema, { timing: { scriptId: new Uint8Array(4) } }))).message,
    ).toBe('script id from bytes: invalid UUID (got 4 bytes)');
    call(ctx, 'ScriptCompleted', create(WorkspaceAgentScriptCompletedRequestSchema, { timing: { scriptId: id, exitCode: 0 } }));
    const report = (connection: object) => call(ctx, 'ReportConnection', create(ReportConnectionRequestSchema, { connection }));
    expect(rpcError(() => report({ id: new Uint8Array(16), action: Connection_Action.CONNECT, type: Connection_Type.SSH })).message).toBe(
      'connection ID cannot be nil',
    );
    expect(rpcError(() => report({ id: new Uint8Array(2), action: Connection_Action.CONNECT, type: Connection_Type.SSH })).message).toBe(
      'connection id from bytes: invalid UUID (got 2 bytes)',
    );
    report({ id, action: Connection_Action.CONNECT, type: Connection_Type.SSH, ip: '127.0.0.1' });
    report({ id, action: Connection_Action.DISCONNECT, appName: 'code-server', statusCode: 0 });
    expect(agent.counters.v2).toMatchObject({ scriptsCompleted: 1, connectionReports: 2 });
  });
});
