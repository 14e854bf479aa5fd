import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { FleetsimError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/log.js';
import { createRng, type Rng } from '../../../src/core/rng.js';
import { METRIC } from '../../../src/metrics/names.js';
import type { Credentials } from '../../../src/protocol/credentials.js';
import type { TailnetNode } from '../../../src/protocol/tailnet-node.js';
import type { AgentDeps, OpenAgentSocketOptions } from '../../../src/workloads/agents/deps.js';
import { createAgentFleet } from '../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../src/workloads/agents/kind.js';
import type { agentsSection } from '../../../src/workloads/agents/section.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually, type EventuallyOptions } from '../../helpers/eventually.js';
import { startHttpServer, type LoopbackHttp } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';

/** The `agents` section as the scenario schema resolves it. */
const agentsConfig = (input: z.input<typeof agentsSection> = {}) => sectionConfig(agentsKind, input, { durationMs: 60_000 });

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const APP = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;

let server: LoopbackHttp;
let url: string;
const posts: Record<string, number> = {};

beforeAll(async () => {
  // A minimal agent API: enough for the fleet's happy path.
  server = await startHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').replace('/api/v2/workspaceagents', '').split('?')[0]!;
      posts[path] = (posts[path] ?? 0) + 1;
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? undefined : JSON.stringify(body));
      };
      if (path === '/me/report-lifecycle') return reply(204, null);
      if (path === '/me/report-stats') return reply(200, { report_interval: 200_000_000 });
      if (path === '/me/metadata') {
        return reply(200, { apps: [{ id: APP(1), health: 'initializing', healthcheck: { url: 'http://localhost:1', interval: 1, threshold: 1 } }] });
      }
      if (path.endsWith('-instance-identity')) return reply(200, { session_token: uuid(999) });
      return reply(200, null);
    });
  });
  url = server.url;
});

afterAll(() => server.close());

function credentials(n: number, identity = false): Credentials {
  return {
    url,
    userToken: 'abcdefghij-abcdefghijklmnopqrstuv',
    agents: Array.from({ length: n }, (_, i) => ({
      id: uuid(i + 1),
      name: `a${i}`,
      workspaceName: `w${i}`,
      token: uuid(i + 101),
      instanceId: `i-${i}`,
      apps: [{ id: APP(1), slug: 'app', healthcheck: true }],
    })),
    ...(identity
      ? {
          identity: {
            aws: { privateKeyPem: 'x', certificatePem: 'x' },
            azure: { privateKeyPem: 'x', certificatePem: 'x', caCertificatePem: 'x' },
            google: { privateKeyPem: 'x', kid: 'k' },
          },
        }
      : {}),
  };
}

interface FakeSockets {
  /** Every dependency replaced (the type makes sure): no real socket or signer is reached. */
  deps: AgentDeps;
  open: Set<OpenAgentSocketOptions>;
  opens: string[];
  sent: Array<{ token: string; node: TailnetNode }>;
  closeAll(code: number): void;
}

function fakeSockets(): FakeSockets {
  const open = new Set<OpenAgentSocketOptions>();
  const f: FakeSockets = {
    open,
    opens: [],
    sent: [],
    closeAll: (code) => {
      for (const o of [...open]) {
        open.delete(o);
        o.onClose(code, '');
      }
    },
    deps: {
      createAgentNode: (rng: Rng) => ({
        id: BigInt(rng.int(1, 1e9)),
        as_of: '',
        key: 'nodekey:00',
        disco: 'discokey:00',
        preferred_derp: 999,
        derp_latency: null,
        addresses: [],
        allowed_ips: [],
        endpoints: [],
      }),
      signAws: () => ({ document: '{}', signature: 'x' }),
      signAzure: () => ({ signature: 'x', encoding: 'pkcs7' }),
      signGoogle: () => ({ json_web_token: 'x' }),
      openAgentRpc: () => Promise.reject(new Error('v1 fleet test: no /me/rpc')),
      openCoordinateSocket: async (o) => {
        open.add(o);
        f.opens.push(o.token);
        const socket = {
          get open() {
            return open.has(o);
          },
          sendNode: (node: TailnetNode) => f.sent.push({ token: o.token, node }),
          close: () => {
            if (open.delete(o)) o.onClose(1000, '');
          },
        };
        return socket;
      },
    },
  };
  return f;
}

/** The fleet runs on a manual clock; each retry moves it 20 ms while loopback requests finish. */
function context(creds: Credentials, seed = 'fleet') {
  const stop = new AbortController();
  const metrics = recordingSink();
  const clock = manualClock();
  const until = (check: () => boolean, what: EventuallyOptions['what']): Promise<boolean> => eventually(check, { what, clock, stepMs: 20 });
  return {
    stop,
    metrics,
    clock,
    until,
    ctx: { signal: stop.signal, clock, metrics, target: { url, embedded: false }, credentials: creds, rng: createRng(seed), log: silentLogger },
  };
}

describe('agent fleet (fake sockets)', () => {
  it('follows the schedule, runs the full agent sequence and reconnects after a drop', async () => {
    const sockets = fakeSockets();
    const { stop, metrics, ctx, until } = context(credentials(4, true));
    const fleet = createAgentFleet(
      agentsConfig({
        auth: { token: 1, aws: 1, azure: 1, google: 1 },
        lifecycle: { startupDuration: 50, outcomes: { start_timeout: 1 } },
        apps: { healthyAfter: 0, checkInterval: 100, flapRate: 0 },
      }),
      { schedule: () => 4, durationMs: 60_000 },
      { deps: sockets.deps },
    );
    const running = fleet.run(ctx);
    await until(() => sockets.open.size === 4, '4 sockets');
    // Only the newest state is sent: on a slow machine start_timeout may be superseded by ready.
    await until(
      () =>
        fleet
          .agents()
          .every((a) => ['starting,start_timeout,ready', 'starting,ready'].includes(a.lifecycle.join()) && a.statsAccepted >= 2 && a.appHealthAccepted === 1),
      () => `agent sequence: ${JSON.stringify(fleet.agents())}`,
    );
    expect(sockets.sent.length).toBeGreaterThanOrEqual(4);
    sockets.closeAll(1000);
    await until(() => sockets.open.size === 4 && fleet.agents().every((a) => a.coordinateConnects === 2), 'reconnects');
    expect(metrics.total(METRIC.agentsReconnects)).toBe(4);
    expect(metrics.total(METRIC.agentsAuthenticated)).toBe(4);
    stop.abort();
    await running;
    expect(sockets.open.size).toBe(0);
    expect(fleet.agents().every((a) => !a.connected)).toBe(true);
    // Lifecycle runs on the first pass only: a reconnect does not report it again.
    expect(fleet.agents().every((a) => a.lifecycle[0] === 'starting' && a.lifecycle.at(-1) === 'ready')).toBe(true);
  });

  it('counts a wait for a dial slot as time queued by the first request of the pass', async () => {
    const sockets = fakeSockets();
    const { stop, metrics, ctx, until, clock } = context(credentials(2));
    // Every dial takes 200 ms of the clock; one slot: the second agent (due 50 ms in) waits
    // until the first one's socket is up, at 200 ms or later.
    const dial = sockets.deps.openCoordinateSocket;
    const deps = {
      ...sockets.deps,
      openCoordinateSocket: async (o: OpenAgentSocketOptions) => {
        await clock.sleep(200);
        return dial(o);
      },
    };
    const fleet = createAgentFleet(agentsConfig(), { schedule: () => 2, durationMs: 60_000, maxConcurrentDials: 1 }, { deps });
    const running = fleet.run(ctx);
    await until(() => sockets.open.size === 2, '2 sockets');
    const tags = { endpoint: 'POST /me/version' };
    const queued = metrics.values(METRIC.requestQueued, tags);
    const service = metrics.values(METRIC.requestService, tags);
    const headline = metrics.values(METRIC.request, tags);
    expect(queued).toHaveLength(2);
    expect(queued[0]).toBe(0);
    expect(queued[1]).toBeGreaterThanOrEqual(150);
    expect(headline).toEqual([queued[0]! + service[0]!, queued[1]! + service[1]!]);
    stop.abort();
    await running;
  });

  it('ramps on the clock: each tick re-reads the schedule and spreads its starts inside the tick', async () => {
    const sockets = fakeSockets();
    const { stop, ctx, clock } = context(credentials(4));
    const fleet = createAgentFleet(
      agentsConfig(),
      { schedule: (t) => Math.min(4, Math.floor(t / 100) * 2), durationMs: 60_000, tickMs: 100 },
      { deps: sockets.deps },
    );
    const running = fleet.run(ctx);
    const started = (): number => fleet.agents().length;
    expect(started()).toBe(0);
    clock.advance(99);
    expect(started()).toBe(0);
    clock.advance(1); // t=100: two wanted, one now and one half a tick later
    expect(started()).toBe(1);
    clock.advance(49);
    expect(started()).toBe(1);
    clock.advance(1);
    expect(started()).toBe(2);
    clock.advance(100); // t=250: the t=200 tick started a third, the fourth is due now
    expect(started()).toBe(4);
    clock.advance(1000);
    expect(started()).toBe(4);
    stop.abort();
    await running;
    expect(sockets.open.size).toBe(0);
  });

  it('starts every due agent on a machine too slow for the start slice (no 0 ms re-arming loop)', async () => {
    // Every reading of the real clock is 10 ms after the last: each start overruns the slice, so
    // all but the first of a turn are deferred. Under a manual clock the drain must still make
    // progress inside one advance (the setImmediate that ends a turn never runs there).
    let fake = performance.now();
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (fake += 10));
    try {
      const sockets = fakeSockets();
      const { stop, ctx, clock } = context(credentials(6));
      const fleet = createAgentFleet(agentsConfig(), { schedule: () => 6, durationMs: 60_000, tickMs: 100 }, { deps: sockets.deps });
      const running = fleet.run(ctx);
      clock.advance(100);
      expect(fleet.agents().length).toBe(6);
      stop.abort();
      now.mockRestore();
      await running;
      expect(sockets.open.size).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  it('ramps down by stopping the highest-index agents', async () => {
    const sockets = fakeSockets();
    const { stop, ctx, until } = context(credentials(5));
    let wanted = 5;
    const fleet = createAgentFleet(agentsConfig(), { schedule: () => wanted, durationMs: 60_000 }, { deps: sockets.deps });
    const running = fleet.run(ctx);
    await until(() => sockets.open.size === 5, '5 sockets');
    wanted = 2;
    await until(() => sockets.open.size === 2, 'ramp down');
    expect(
      fleet
        .agents()
        .filter((a) => a.connected)
        .map((a) => a.index),
    ).toEqual([0, 1]);
    stop.abort();
    await running;
  });

  it('is seeded: the same seed gives the same auth modes and nodes', async () => {
    const creds = credentials(6, true);
    const run = async (seed: string): Promise<{ modes: string[]; nodes: string[] }> => {
      const sockets = fakeSockets();
      const { stop, ctx, until } = context(creds, seed);
      const fleet = createAgentFleet(
        agentsConfig({ auth: { token: 1, aws: 1, azure: 1, google: 1 } }),
        { schedule: () => 6, durationMs: 60_000 },
        { deps: sockets.deps },
      );
      const running = fleet.run(ctx);
      const nodeOf = (sent: FakeSockets['sent'][number]) => `${sent.node.id}/${sent.node.key}/${sent.node.disco}/${sent.node.preferred_derp}`;
      await until(() => sockets.open.size === 6 && new Set(sockets.sent.map(nodeOf)).size === 6, '6 sockets with a node each');
      stop.abort();
      await running;
      // The nodes the agents sent, without their tag (it carries the send time). Sorted: agents
      // connect in any order, and identity-auth agents share the double's session token.
      const nodes = [...new Set(sockets.sent.map(nodeOf))].sort();
      return { modes: fleet.agents().map((a) => a.authMode), nodes };
    };
    const first = await run('x');
    const again = await run('x');
    expect(first.modes).toHaveLength(6);
    expect(again).toEqual(first);
    // The nodes do depend on the seed (so the equality above is not vacuous).
    expect((await run('y')).nodes).not.toEqual(first.nodes);
  });

  it('refuses identity auth without identity material, and a schedule beyond the credentials', async () => {
    const sockets = fakeSockets();
    const a = context(credentials(2));
    await expect(
      createAgentFleet(agentsConfig({ auth: { aws: 1 } }), { schedule: () => 1, durationMs: 1000 }, { deps: sockets.deps }).run(a.ctx),
    ).rejects.toThrow(FleetsimError);
    const b = context(credentials(2));
    await expect(createAgentFleet(agentsConfig(), { schedule: () => 3, durationMs: 5000 }, { deps: sockets.deps }).run(b.ctx)).rejects.toThrow(
      /credentials hold 2/,
    );
  });
});
