import { afterEach, expect } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import type { Credentials } from '../../../src/protocol/credentials.js';
import { METRIC } from '../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { createPeersWorkload, type PeersRun } from '../../../src/workloads/peers/peers-workload.js';
import type { PeersConfig } from '../../../src/workloads/peers/section.js';
import type { WorkloadContext } from '../../../src/workloads/workload.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import type { ScriptedAgent, ScriptedAgentClass } from '../../helpers/scripted-agent.js';
import { recordingSink, type RecordingSink } from '../../helpers/sink.js';

/** Fixed credentials for relay-double tests (never real secrets). */
export function testCredentials(url: string, agents: number): Credentials {
  return {
    url,
    userToken: 'abcdefghij-0123456789abcdefghijkl',
    agents: Array.from({ length: agents }, (_, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i + 1}`,
      name: `agent${i + 1}`,
      workspaceName: `ws${i + 1}`,
      token: `11111111-1111-4111-8111-00000000000${i + 1}`,
      instanceId: `i-${i + 1}`,
      apps: [],
    })),
  };
}

/** Peers section fields and run options a test may set. */
export type PeersOverrides = Partial<PeersConfig> & Partial<PeersRun>;

/**
 * Starts a peers workload in the background on a manual clock; `stop()` aborts it and moves the
 * clock through the drain window. Tests wait for deliveries before stopping, so the drain has
 * nothing in flight and needs no real time.
 */
export function startPeers(credentials: Credentials, overrides: PeersOverrides = {}) {
  const metrics: RecordingSink = recordingSink();
  const clock = manualClock();
  const { dial, protocol, tickMs = 10, ...section } = overrides;
  const config: PeersConfig = {
    perAgent: 2,
    updateRate: 0,
    jitter: 0,
    drainWindow: 150,
    auth: 'cookie',
    reconnect: { initial: 50, max: 10_000, jitter: 'none' },
    ...section,
  };
  const { workload, observer } = createPeersWorkload(config, {
    schedule: () => credentials.agents.length,
    durationMs: 60_000,
    tickMs,
    ...(dial ? { dial } : {}),
    ...(protocol ? { protocol } : {}),
  });
  const controller = new AbortController();
  const ctx: WorkloadContext = {
    signal: controller.signal,
    clock,
    metrics,
    target: { url: credentials.url, embedded: false },
    credentials,
    rng: createRng('peers-test'),
    log: silentLogger,
  };
  let running: Promise<void> | undefined;
  return {
    metrics,
    observer,
    clock,
    /** Runs the workload (call after any pre-run agent traffic). */
    start() {
      running = workload.run(ctx);
    },
    async stop() {
      controller.abort();
      let ended = false;
      const done = running?.then(() => (ended = true));
      // Bounded: the drain is one timer of drainWindowMs; redial backoffs end with the abort.
      for (let i = 0; i < 100 && !ended && done; i++) await clock.advanceAsync(config.drainWindow);
      await done;
    },
  };
}

export type TestPeers = ReturnType<typeof startPeers>;

const A2P = { direction: 'agent_to_peer' } as const;
const P2A = { direction: 'peer_to_agent' } as const;

/**
 * A peers workload and scripted agents against the embedded reference server, all closed in
 * afterEach (cleanups in reverse order, then the server). Call at the top of a test file;
 * `Agent` is TestAgent (v1) or TestAgentV2, `defaults` the peers overrides every setup starts from.
 */
export function embeddedPeers<A extends ScriptedAgent>(Agent: ScriptedAgentClass<A>, defaults: PeersOverrides = {}) {
  let server: ReferenceServer | undefined;
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    await server?.close();
    server = undefined;
  });
  return {
    /** Runs `fn` in afterEach, before the server closes. */
    onCleanup(fn: () => Promise<void>): void {
      cleanups.push(fn);
    },
    /** Just the server, for tests that dial on their own. */
    async startServer(agents: number): Promise<ReferenceServer> {
      server = await startReferenceServer({ agents });
      return server;
    },
    /** The server with `agents` agents, a peers workload (not started) and one scripted agent each (not connected). */
    async setup(agents: number, overrides: PeersOverrides = {}) {
      const started = await startReferenceServer({ agents });
      server = started;
      const peers = startPeers(started.credentials, { ...defaults, ...overrides });
      const list = started.credentials.agents.map((a, i) => new Agent(a.id, started.url, a.token, peers.observer, BigInt(5000 + i), peers.clock));
      cleanups.push(async () => {
        await peers.stop();
        for (const a of list) await a.disconnect();
      });
      return { server: started, peers, agents: list };
    },
  };
}

/**
 * The 2 agents x 2 peers exchange: each agent connects and publishes, the peers start, every peer
 * node reaches its agent and every agent node its peers, then 10 more updates per agent reach
 * both peers (40 deliveries); ends with the workload stopped.
 */
export async function exchangeTwoByTwo(peers: TestPeers, agents: ScriptedAgent[]): Promise<void> {
  for (const a of agents) {
    await a.connect();
    a.publish();
  }
  peers.start();
  await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 4, 'peer nodes at the agents');
  await eventually(() => peers.metrics.values(METRIC.coordFirstNode).length === 4, 'first agent nodes');
  for (const a of agents) for (let i = 0; i < 10; i++) a.publish();
  await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 40, 'agent updates at the peers');
  await peers.stop();
}

/** After {@link exchangeTwoByTwo}: exact counts both ways, nothing lost, duplicated or out of order. */
export function expectExactTwoByTwo(m: RecordingSink): void {
  expect(m.total(METRIC.coordUpdatesSent, A2P)).toBe(22);
  expect(m.total(METRIC.coordUpdatesDelivered, A2P)).toBe(40);
  expect(m.values(METRIC.coordPropagation, A2P)).toHaveLength(40);
  expect(m.total(METRIC.coordUpdatesSent, P2A)).toBe(4);
  expect(m.total(METRIC.coordUpdatesDelivered, P2A)).toBe(4);
  for (const tags of [A2P, P2A]) {
    expect(m.total(METRIC.coordLost, tags)).toBe(0);
    expect(m.total(METRIC.coordDuplicated, tags)).toBe(0);
    expect(m.total(METRIC.coordOutOfOrder, tags)).toBe(0);
  }
}
