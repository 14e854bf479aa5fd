/**
 * A v2 fake agent against a scripted RPC server: the v2 wire stack's own server router over an
 * in-memory pipe (no sockets), a hand-moved clock and scheduler (every periodic routine and the
 * yamux timers run on it), and immediate backoff sleeps. Tests read the calls the server saw in
 * order and drive the agent's time explicitly.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { AgentRpcDialOptions } from '../../../../src/client/v2/agent-rpc-dial.js';
import type { HttpTransport } from '../../../../src/client/http.js';
import { silentLogger } from '../../../../src/core/log.js';
import { createRng } from '../../../../src/core/rng.js';
import type { TailnetNode } from '../../../../src/protocol/tailnet-node.js';
import type { CredentialAgent } from '../../../../src/protocol/credentials.js';
import { DrpcRouter, type ServerBidiStream } from '../../../../src/protocol/v2/drpc-router.js';
import { ManifestSchema, type Manifest } from '../../../../src/protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, TAILNET_RPC, metadataSecondsToDuration, uuidToBytes } from '../../../../src/protocol/v2/messages.js';
import { nodeToProto } from '../../../../src/protocol/v2/node-convert.js';
import { serveRpc, type RpcConnection } from '../../../../src/protocol/v2/rpc-connection.js';
import { agentsKind } from '../../../../src/workloads/agents/kind.js';
import { realDeps } from '../../../../src/workloads/agents/real-deps.js';
import { fleetSettings } from '../../../../src/workloads/agents/settings.js';
import { Gate } from '../../../../src/workloads/agents/timing.js';
import { TimerHeap } from '../../../../src/workloads/agents/timer-heap.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { FakeAgentV2 } from '../../../../src/workloads/agents/v2/fake-agent-v2.js';
import { SchedulerClock } from '../../../../src/workloads/agents/v2/scheduled.js';
import type { FleetEnv } from '../../../../src/workloads/agents/fake-agent.js';
import type { V2SessionEnv } from '../../../../src/workloads/agents/v2/agent-session.js';
import type { CoordinateObserver } from '../../../../src/workloads/coordinate-observer.js';
import { sectionConfig } from '../../../../src/workloads/kind.js';
import { memoryPipe, settle } from '../../../protocol/v2/helpers.js';
import { recordingSink } from '../../../helpers/sink.js';

export const AGENT_ID = '11111111-2222-4333-8444-555555555555';
export const APP_HEALTHY = 'aaaaaaaa-0000-4000-8000-000000000001';
export const APP_PLAIN = 'aaaaaaaa-0000-4000-8000-000000000002';
export const SCRIPT_ID = 'bbbbbbbb-0000-4000-8000-000000000001';
export const LOG_SOURCE = 'cccccccc-0000-4000-8000-000000000001';
export const PEER_ID = 'dddddddd-0000-4000-8000-000000000001';

/** Wall time of the harness clock: 1_700_000_000_000 + now(). */
export const WALL_START_MS = 1_700_000_000_000;

/**
 * Moves a manual clock by `ms`, one due timer at a time, letting the in-memory pipe and the
 * agent's promises run after each (a call needs several event-loop turns to go round).
 */
export async function step(clock: ManualClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await settle(20);
  for (let i = 0; i < 10_000; i++) {
    const due = clock.nextDueIn();
    if (due === undefined || clock.now() + due > end) break;
    clock.advance(Math.max(0, due));
    await settle(20);
  }
  clock.advance(end - clock.now());
  await settle(20);
}

/** One call the server saw: method name and decoded request. */
export interface SeenCall {
  method: string;
  request: Record<string, unknown>;
  session: number;
}

export type Handler = (request: never, seen: SeenCall) => unknown;

/** The manifest the fake server hands out (overridable per test). */
export function testManifest(overrides: Record<string, unknown> = {}): Manifest {
  const init: MessageInitShape<typeof ManifestSchema> = {
    agentId: uuidToBytes(AGENT_ID),
    agentName: 'main',
    workspaceId: uuidToBytes('eeeeeeee-0000-4000-8000-000000000001'),
    workspaceName: 'ws',
    directory: '~/project',
    derpMap: { homeParams: { regionScore: {} }, regions: {} },
    scripts: [{ id: uuidToBytes(SCRIPT_ID), logSourceId: uuidToBytes(LOG_SOURCE), runOnStart: true, displayName: 'Startup Script' }],
    apps: [
      { id: uuidToBytes(APP_HEALTHY), slug: 'code', sharingLevel: 1, health: 2, healthcheck: { url: 'http://localhost:1/healthz' } },
      { id: uuidToBytes(APP_PLAIN), slug: 'web', sharingLevel: 1, health: 1, healthcheck: { url: '' } },
    ],
    metadata: [
      { key: 'cpu', displayName: 'CPU', interval: metadataSecondsToDuration(2) },
      { key: 'mem', displayName: 'Memory', interval: metadataSecondsToDuration(5) },
    ],
  };
  return create(ManifestSchema, { ...init, ...overrides } as MessageInitShape<typeof ManifestSchema>);
}

export interface HarnessOptions {
  agents?: Record<string, unknown>;
  apiVersion?: string;
  /** Handlers replacing the default answers, by method name (throw a DrpcError to fail). */
  handlers?: Partial<Record<string, Handler>>;
  /** Agent methods the server does not have at all (drpcmux answers `unknown rpc`). */
  missing?: string[];
  statsIntervalMs?: number;
  observer?: CoordinateObserver;
}

export function harness(options: HarnessOptions = {}) {
  const clock = new ManualClock(0, WALL_START_MS);
  const scheduler = new TimerHeap(clock);
  const metrics = recordingSink();
  const calls: SeenCall[] = [];
  const dials: AgentRpcDialOptions[] = [];
  /** clock.now() at each dial. */
  const dialedAt: number[] = [];
  const servers: RpcConnection[] = [];
  const coordinate: { stream: ServerBidiStream; session: number }[] = [];
  let session = 0;

  const router = new DrpcRouter();
  const statsMs = options.statsIntervalMs ?? 30_000;
  const defaults: Record<string, Handler> = {
    GetManifest: () => testManifest(),
    GetAnnouncementBanners: () => ({ announcementBanners: [] }),
    GetServiceBanner: () => ({}),
    UpdateStartup: (req: { startup: unknown }) => req.startup,
    UpdateLifecycle: (req: { lifecycle: unknown }) => req.lifecycle,
    UpdateStats: () => ({ reportInterval: { seconds: BigInt(statsMs / 1000) } }),
    BatchUpdateAppHealths: () => ({}),
    BatchUpdateMetadata: () => ({}),
    BatchCreateLogs: () => ({}),
    ScriptCompleted: () => ({}),
  };
  for (const [name, codec] of Object.entries(AGENT_RPC)) {
    if (options.missing?.includes(name)) continue;
    router.unary(codec.path, (bytes) => {
      const request = codec.decodeRequest(bytes) as unknown as Record<string, unknown>;
      const seen = { method: name, request, session };
      calls.push(seen);
      const handler = options.handlers?.[name] ?? defaults[name];
      if (!handler) throw new Error(`no handler for ${name}`);
      const out = handler(request as never, seen);
      return out instanceof Promise ? out.then((v) => codec.encodeResponse(v as never)) : codec.encodeResponse(out as never);
    });
  }
  // The handler lives as long as the stream (returning would end the RPC).
  router.bidi(TAILNET_RPC.Coordinate.path, (stream) => {
    const mine = session;
    calls.push({ method: 'Coordinate', request: {}, session: mine });
    coordinate.push({ stream, session: mine });
    return new Promise<void>((resolve) => {
      stream.listen({
        onMessage(bytes) {
          const request = TAILNET_RPC.Coordinate.decodeRequest(bytes) as unknown as Record<string, unknown>;
          calls.push({ method: 'Coordinate.request', request, session: mine });
          // coderd closes a peer's stream after its disconnect (docs/protocol-v2.md §6.3).
          if ((request as { disconnect?: unknown }).disconnect) {
            stream.close();
            resolve();
          }
        },
        onEnd: () => resolve(),
      });
    });
  });
  router.serverStream(TAILNET_RPC.StreamDERPMaps.path, async (_req, stream, ctx) => {
    calls.push({ method: 'StreamDERPMaps', request: {}, session });
    await stream.send(TAILNET_RPC.StreamDERPMaps.encodeResponse({ homeParams: { regionScore: {} }, regions: {} }));
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
  });

  const config = sectionConfig(
    agentsKind,
    {
      protocol: 'v2',
      apps: { checkInterval: 1000, healthyAfter: 2000, flapRate: 0 },
      lifecycle: { startupDuration: 1000, outcomes: { ready: 1 } },
      nodeUpdateInterval: 10_000,
      nodeUpdateJitter: 0,
      ...options.agents,
    },
    { durationMs: 60_000 },
  );
  const settings = fleetSettings(config, { schedule: () => 1, durationMs: 60_000, apiVersion: options.apiVersion });
  const http = { transport: {} as HttpTransport, metrics, clock };
  const env: FleetEnv & V2SessionEnv = {
    options: settings,
    http,
    connections: { shared: http, forAgent: () => http, release: async () => {}, close: async () => {} },
    clock,
    metrics,
    log: silentLogger,
    deps: {
      ...realDeps,
      openAgentRpc: async (o) => {
        dials.push(o);
        dialedAt.push(clock.now());
        session++;
        const [client, server] = memoryPipe();
        servers.push(serveRpc(server, router, { keepAliveIntervalMs: 0 }));
        return client;
      },
    },
    gate: new Gate(1),
    scheduler,
    observer: options.observer,
    connected: { count: 0 },
    coordinateUrl: 'ws://fake/api/v2/workspaceagents/me/coordinate',
    baseUrl: 'http://fake',
    timers: new SchedulerClock(scheduler, clock),
  };
  const credential: CredentialAgent = {
    id: AGENT_ID,
    name: 'main',
    workspaceName: 'ws',
    token: '99999999-0000-4000-8000-000000000001',
    instanceId: 'i-1',
    apps: [],
  };
  const agent = new FakeAgentV2(0, credential, env, createRng('v2-harness'));

  return {
    agent,
    clock,
    scheduler,
    metrics,
    calls,
    dials,
    dialedAt,
    servers,
    coordinate,
    /** Moves the agent's time by `ms` (see {@link step}). */
    advance: (ms: number) => step(clock, ms),
    /** Method names the server saw, in order (optionally of one session). */
    names: (ofSession?: number) => calls.filter((c) => ofSession === undefined || c.session === ofSession).map((c) => c.method),
    of: (method: string) => calls.filter((c) => c.method === method),
    /** Lets the pipe and the agent's promises run. */
    settle: () => settle(40),
  };
}

/** A NODE update the fake coordinator sends to the agent about a peer. */
export function peerNode(node: TailnetNode): Uint8Array {
  return TAILNET_RPC.Coordinate.encodeResponse({
    peerUpdates: [{ id: uuidToBytes(PEER_ID), kind: 1, node: nodeToProto(node), reason: 'node update' }],
  });
}
