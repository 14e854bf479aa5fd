import { afterEach, describe, expect, it } from 'vitest';
import { AppHealth, Lifecycle_State, Timing_Status } from '../../../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { agentTailnetAddresses, nodeFromProto } from '../../../../src/protocol/v2/node-convert.js';
import { readNodeTag } from '../../../../src/protocol/node-tag.js';
import { createClientNode } from '../../../../src/protocol/node-factory.js';
import { createRng } from '../../../../src/core/rng.js';
import { uuidFromBytes, uuidToBytes, metadataSecondsToDuration } from '../../../../src/protocol/v2/messages.js';
import { DrpcError } from '../../../../src/protocol/v2/wire-errors.js';
import { METRIC } from '../../../../src/metrics/names.js';
import type { TailnetNode } from '../../../../src/protocol/tailnet-node.js';
import { AGENT_ID, APP_HEALTHY, harness, LOG_SOURCE, peerNode, PEER_ID, SCRIPT_ID, testManifest } from './harness.js';

const RPC = (method: string) => `RPC /coder.agent.v2.Agent/${method}`;
type H = ReturnType<typeof harness>;
let current: H | undefined;

/** Starts the agent of a harness and lets its first session come up. */
async function started(h: H): Promise<H> {
  current = h;
  void h.agent.start();
  await h.settle();
  return h;
}

afterEach(async () => {
  const h = current;
  current = undefined;
  if (!h) return;
  const stopping = h.agent.stop();
  await h.advance(6000);
  await stopping;
  for (const s of h.servers) s.close();
});

const lifecycleStates = (h: H) => h.of('UpdateLifecycle').map((c) => (c.request as { lifecycle: { state: number } }).lifecycle.state);
const errors = (h: H) => h.metrics.samples.filter((s) => s.name === METRIC.error).map((s) => `${s.tags?.endpoint} ${s.tags?.class}`);

describe('v2 fake agent: one session, in the Go agent order (docs/protocol-v2.md §3.3)', () => {
  it('dials /me/rpc at 2.2 with the token, then banners, manifest, startup and the routines', async () => {
    const h = await started(harness());
    expect(h.dials).toHaveLength(1);
    expect(h.dials[0]).toMatchObject({ baseUrl: 'http://fake', apiVersion: '2.2', token: '99999999-0000-4000-8000-000000000001' });
    expect(h.names()).toEqual([
      'GetAnnouncementBanners',
      'GetManifest',
      'UpdateStartup',
      'UpdateLifecycle',
      'BatchCreateLogs',
      'Coordinate',
      'Coordinate.request',
      'StreamDERPMaps',
      'UpdateStats',
    ]);
    expect(h.of('UpdateStartup')[0]!.request).toMatchObject({
      startup: { version: 'v0.15.3', expandedDirectory: '/home/coder/project', subsystems: [] },
    });
    expect(lifecycleStates(h)).toEqual([Lifecycle_State.STARTING]);
    // Metadata and app health start on the next scheduler turns.
    // The first UpdateStats only asks for the interval.
    expect(h.of('UpdateStats')[0]!.request.stats).toBeUndefined();
    expect(h.agent.report.connected).toBe(true);
    expect(h.agent.report.v2).toMatchObject({
      sessions: 1,
      manifests: 1,
      startups: 1,
      banners: 1,
      statsIntervalCalls: 1,
      derpMaps: 1,
      coordinateStreams: 1,
      nodeUpdatesSent: 1,
    });
    expect(errors(h)).toEqual([]);
  });

  it('reaches the seeded outcome after startupDuration and logs the script to its own source', async () => {
    const h = await started(harness({ agents: { lifecycle: { startupDuration: 1000, outcomes: { start_timeout: 1 } } } }));
    await h.advance(1000);
    await h.advance(1000);
    expect(lifecycleStates(h)).toEqual([Lifecycle_State.STARTING, Lifecycle_State.START_TIMEOUT, Lifecycle_State.READY]);
    expect(h.agent.report.lifecycle).toEqual(['starting', 'start_timeout', 'ready']);
    const changedAt = h.of('UpdateLifecycle').map((c) => Number((c.request as { lifecycle: { changedAt: { seconds: bigint } } }).lifecycle.changedAt.seconds));
    expect(changedAt).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002]);
    const logs = h.of('BatchCreateLogs').map((c) => c.request as { logSourceId: Uint8Array; logs: { output: string; level: number }[] });
    expect(logs).toHaveLength(2);
    for (const batch of logs) expect(uuidFromBytes(batch.logSourceId)).toBe(LOG_SOURCE);
    expect(logs[0]!.logs[0]!.output).toBe('Startup Script: starting');
    expect(logs[1]!.logs.map((l) => l.output)).toEqual(['Startup Script: exited with code 0']);
    const lines = logs.reduce((n, b) => n + b.logs.length, 0);
    expect(h.agent.report.v2.logLines).toBe(lines);
    expect(h.metrics.total(METRIC.logLinesReported)).toBe(lines);
    // API 2.2: ScriptCompleted (2.3) is not called.
    expect(h.of('ScriptCompleted')).toEqual([]);
  });

  it('logs to the External source when the manifest has no start script', async () => {
    const h = await started(harness({ handlers: { GetManifest: () => testManifest({ scripts: [] }) } }));
    await h.advance(1000);
    const logs = h.of('BatchCreateLogs').map((c) => c.request as { logSourceId: Uint8Array });
    expect(logs.map((b) => uuidFromBytes(b.logSourceId))).toEqual(['00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000']);
  });

  it('reports stats once per interval from the intended tick, following a changed interval', async () => {
    let interval = 30;
    const h = await started(harness({ handlers: { UpdateStats: () => ({ reportInterval: { seconds: BigInt(interval) } }) } }));
    await h.advance(29_999);
    expect(h.of('UpdateStats')).toHaveLength(1);
    interval = 10;
    await h.advance(1);
    expect(h.of('UpdateStats')).toHaveLength(2);
    const stats = h.of('UpdateStats')[1]!.request.stats as { rxBytes: bigint; connectionCount: bigint };
    expect(stats.rxBytes).toBeGreaterThan(0n);
    expect(stats.connectionCount).toBeGreaterThan(0n);
    await h.advance(10_000);
    expect(h.of('UpdateStats')).toHaveLength(3);
    expect(h.agent.report.statsAccepted).toBe(2);
    expect(h.metrics.total(METRIC.statsReported)).toBe(2);
    const latencies = h.metrics.samples.filter((s) => s.name === METRIC.request && s.tags?.endpoint === RPC('UpdateStats'));
    expect(latencies).toHaveLength(3);
  });

  it('sends metadata on each key interval (seconds-in-nanos quirk), due keys together', async () => {
    const h = await started(harness());
    await h.advance(6000);
    const batches = h.of('BatchUpdateMetadata').map((c) => (c.request as { metadata: { key: string; result: { value: string } }[] }).metadata);
    expect(batches.map((b) => b.map((m) => m.key).join('+'))).toEqual(['cpu+mem', 'cpu', 'cpu', 'mem', 'cpu']);
    for (const b of batches) for (const m of b) expect(m.result.value).toMatch(/^\d+%$/);
    expect(h.agent.report.v2.metadataKeys).toBe(6);
    expect(h.metrics.total(METRIC.metadataReported)).toBe(6);
    // 2 s as coderd writes it: { seconds: 0, nanos: 2 }.
    expect(metadataSecondsToDuration(2)).toMatchObject({ seconds: 0n, nanos: 2 });
  });

  it('reports app health for apps with a healthcheck URL, only on change', async () => {
    const h = await started(harness());
    await h.advance(5000);
    const batches = h.of('BatchUpdateAppHealths').map((c) => (c.request as { updates: { id: Uint8Array; health: number }[] }).updates);
    expect(batches).toEqual([
      [{ id: uuidToBytes(APP_HEALTHY), health: AppHealth.HEALTHY, $typeName: 'coder.agent.v2.BatchUpdateAppHealthRequest.HealthUpdate' }],
    ]);
    expect(h.agent.report.appHealthAccepted).toBe(1);
    expect(h.agent.report.lastHealths).toEqual({ [APP_HEALTHY]: 'healthy' });
  });

  it('sends tagged update_self nodes with its derived addresses and answers NODE with ready_for_handshake', async () => {
    const seen: { nodes: TailnetNode[] }[] = [];
    const sent: number[] = [];
    // The observer's view in order: the stream opens before the first send and closes at its end.
    const events: string[] = [];
    const observer = {
      agentSent: (_id: string, seq: number) => {
        sent.push(seq);
        events.push(`sent ${seq}`);
      },
      agentReceived: (_id: string, nodes: TailnetNode[]) => seen.push({ nodes }),
      agentSocket: (id: string, open: boolean) => events.push(`${open ? 'open' : 'closed'} ${id}`),
    };
    const h = await started(harness({ observer }));
    await h.advance(10_000);
    const updates = h.of('Coordinate.request').map((c) => (c.request as { updateSelf?: { node: Parameters<typeof nodeFromProto>[0] } }).updateSelf!.node);
    expect(updates).toHaveLength(2);
    const nodes = updates.map((n) => nodeFromProto(n));
    expect(nodes.map((n) => readNodeTag(n)?.seq)).toEqual([1, 2]);
    expect(sent).toEqual([1, 2]);
    const { tailscale, coder } = agentTailnetAddresses(AGENT_ID);
    expect(nodes[0]!.addresses).toEqual([tailscale, coder]);
    expect(readNodeTag(nodes[1]!)?.sentAtMs).toBe(1_700_000_010_000);

    const peer = createClientNode(createRng('peer'), { nowMs: 1_700_000_000_000 });
    await h.coordinate[0]!.stream.send(peerNode(peer));
    await h.settle();
    const answer = h.of('Coordinate.request').at(-1)!.request as { readyForHandshake: { id: Uint8Array }[] };
    expect(answer.readyForHandshake.map((r) => uuidFromBytes(r.id))).toEqual([PEER_ID]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.nodes[0]!.key).toBe(peer.key);
    expect(h.agent.report.v2).toMatchObject({ peerUpdatesReceived: 1, readyForHandshakes: 1, nodeUpdatesSent: 2 });
    expect(events).toEqual([`open ${AGENT_ID}`, 'sent 1', 'sent 2']);

    const stopping = h.agent.stop();
    await h.advance(6000);
    await stopping;
    expect(events).toEqual([`open ${AGENT_ID}`, 'sent 1', 'sent 2', `closed ${AGENT_ID}`]);
  });
});

describe('v2 fake agent: failures and reconnects', () => {
  it('tears the session down when a required RPC fails, redials, and reports each state once, in order', async () => {
    let failures = 1;
    const h = await started(
      harness({
        handlers: {
          UpdateLifecycle: (req: { lifecycle: unknown }) => {
            if (failures-- > 0) throw new DrpcError(0, 'database is down');
            return req.lifecycle;
          },
        },
      }),
    );
    await h.settle();
    expect(errors(h)).toEqual([`${RPC('UpdateLifecycle')} drpc_0`]);
    // A failed session does not reset the backoff: the first redial waits 100 ms.
    await h.advance(100);
    expect(h.dialedAt).toEqual([0, 100]);
    await h.advance(1000);
    expect(lifecycleStates(h)).toEqual([Lifecycle_State.STARTING, Lifecycle_State.STARTING, Lifecycle_State.READY]);
    expect(h.agent.report.lifecycle).toEqual(['starting', 'ready']);
    expect(h.names(2).slice(0, 3)).toEqual(['GetAnnouncementBanners', 'GetManifest', 'UpdateStartup']);
    expect(h.agent.report.v2.sessions).toBe(2);
  });

  it('treats an optional RPC the server lacks as not supported, not as a failure', async () => {
    const h = await started(
      harness({ missing: ['GetAnnouncementBanners', 'ScriptCompleted'], apiVersion: '2.3', agents: { lifecycle: { outcomes: { start_error: 1 } } } }),
    );
    await h.advance(1000);
    expect(h.dials).toHaveLength(1);
    expect(errors(h)).toEqual([]);
    expect(h.metrics.total(METRIC.rpcUnsupported, { endpoint: RPC('GetAnnouncementBanners') })).toBe(1);
    expect(h.metrics.total(METRIC.rpcUnsupported, { endpoint: RPC('ScriptCompleted') })).toBe(1);
    expect(h.agent.report.lifecycle).toEqual(['starting', 'start_error']);
  });

  it('reports a start script with ScriptCompleted at API 2.3', async () => {
    const h = await started(harness({ apiVersion: '2.3', agents: { lifecycle: { outcomes: { start_error: 1 } } } }));
    await h.advance(1000);
    const timings = h.of('ScriptCompleted').map((c) => (c.request as { timing: { scriptId: Uint8Array; exitCode: number; status: number } }).timing);
    expect(timings).toHaveLength(1);
    expect(uuidFromBytes(timings[0]!.scriptId)).toBe(SCRIPT_ID);
    expect(timings[0]).toMatchObject({ exitCode: 1, status: Timing_Status.EXIT_FAILURE });
    expect(h.agent.report.v2.scriptsCompleted).toBe(1);
  });

  it('refuses a manifest a Go agent could not use (bad_manifest) and redials', async () => {
    let bad = 1;
    const h = await started(harness({ handlers: { GetManifest: () => (bad-- > 0 ? testManifest({ agentId: new Uint8Array(3) }) : testManifest()) } }));
    await h.advance(100);
    expect(errors(h)).toEqual([`${RPC('GetManifest')} bad_manifest`]);
    expect(h.dialedAt).toEqual([0, 100]);
    expect(h.of('UpdateStartup')).toHaveLength(1);
    expect(h.agent.report.v2.manifests).toBe(1);
  });

  it('redials after the server drops the session, without error samples and without repeating the lifecycle', async () => {
    const h = await started(harness());
    await h.advance(1000);
    expect(h.agent.report.lifecycle).toEqual(['starting', 'ready']);
    h.servers[0]!.close();
    await h.advance(100);
    expect(h.dialedAt).toEqual([0, 1100]);
    expect(h.agent.report.connected).toBe(true);
    expect(h.names(2)).toEqual([
      'GetAnnouncementBanners',
      'GetManifest',
      'UpdateStartup',
      'Coordinate',
      'Coordinate.request',
      'StreamDERPMaps',
      'UpdateStats',
      'BatchUpdateMetadata',
    ]);
    expect(lifecycleStates(h)).toHaveLength(2);
    expect(errors(h)).toEqual([]);
    expect(h.metrics.total(METRIC.agentsReconnects)).toBe(1);
  });

  it('counts a failed dial by HTTP status and backs off 100 ms, 200 ms, …', async () => {
    const h = harness();
    let refusals = 2;
    const env = (h.agent as unknown as { env: { deps: { openAgentRpc: (o: unknown) => Promise<unknown> } } }).env;
    const open = env.deps.openAgentRpc;
    env.deps.openAgentRpc = (o) => {
      if (refusals-- > 0) {
        h.dialedAt.push(h.clock.now());
        return Promise.reject(Object.assign(new Error('Unexpected server response: 400'), { statusCode: 400 }));
      }
      return open(o);
    };
    await started(h);
    await h.advance(300);
    expect(errors(h)).toEqual(['GET /me/rpc http_400', 'GET /me/rpc http_400']);
    expect(h.dialedAt).toEqual([0, 100, 300]);
    expect(h.agent.report.connected).toBe(true);
  });

  it('redials under agents.reconnect: its initial and cap without jitter, within them with full jitter', async () => {
    const refusing = async (reconnect: Record<string, unknown>): Promise<number[]> => {
      const h = harness({ agents: { reconnect } });
      const env = (h.agent as unknown as { env: { deps: { openAgentRpc: (o: unknown) => Promise<unknown> } } }).env;
      env.deps.openAgentRpc = () => {
        h.dialedAt.push(h.clock.now());
        return Promise.reject(Object.assign(new Error('Unexpected server response: 400'), { statusCode: 400 }));
      };
      await started(h);
      await h.advance(2_000);
      expect(h.agent.report.backingOff).toBe(true);
      // Two harnesses in one test: stop this one here (afterEach stops only the current one).
      current = undefined;
      const stopping = h.agent.stop();
      await h.advance(6000);
      await stopping;
      expect(h.agent.report.backingOff).toBe(false);
      return h.dialedAt.slice(1).map((t, i) => t - h.dialedAt[i]!);
    };
    expect(await refusing({ initial: '250ms', max: '500ms' })).toEqual([250, 500, 500, 500]);
    const jittered = await refusing({ initial: '250ms', max: '500ms', jitter: 'full' });
    expect(jittered.length).toBeGreaterThan(4);
    for (const [i, nominal] of [250, 500, 500, 500].entries()) expect(jittered[i]).toBeLessThanOrEqual(nominal);
    expect(jittered.slice(0, 4)).not.toEqual([250, 500, 500, 500]);
  });
});

describe('v2 fake agent: graceful stop (docs/protocol-v2.md §3.3, "On shutdown")', () => {
  it('reports shutting_down, leaves the coordinator with disconnect{}, reports off, then closes', async () => {
    const h = await started(harness());
    await h.advance(1000);
    current = undefined;
    await h.agent.stop();
    expect(lifecycleStates(h)).toEqual([Lifecycle_State.STARTING, Lifecycle_State.READY, Lifecycle_State.SHUTTING_DOWN, Lifecycle_State.OFF]);
    expect(h.agent.report.lifecycle).toEqual(['starting', 'ready', 'shutting_down', 'off']);
    const last = h.of('Coordinate.request').at(-1)!.request as { disconnect?: object };
    expect(last.disconnect).toBeDefined();
    expect(h.agent.report.connected).toBe(false);
    expect(h.scheduler.size).toBe(0);
    expect(errors(h)).toEqual([]);
  });

  it('gives up waiting after 5 s when the server does not answer', async () => {
    const h = await started(
      harness({
        handlers: {
          UpdateLifecycle: (req: { lifecycle: { state: number } }) =>
            req.lifecycle.state === Lifecycle_State.SHUTTING_DOWN ? new Promise(() => undefined) : req.lifecycle,
        },
      }),
    );
    await h.advance(1000);
    current = undefined;
    let stopped = false;
    const stopping = h.agent.stop().then(() => (stopped = true));
    await h.advance(4999);
    expect(stopped).toBe(false);
    await h.advance(1);
    await stopping;
    expect(h.agent.report.lifecycle).toEqual(['starting', 'ready']);
    expect(h.agent.report.connected).toBe(false);
    for (const s of h.servers) s.close();
  });
});
