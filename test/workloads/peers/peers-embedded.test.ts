import { afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { startPeers } from './harness.js';
import { TestAgent } from './test-agent.js';
import { eventually } from '../../helpers/eventually.js';

const A2P = { direction: 'agent_to_peer' } as const;
const P2A = { direction: 'peer_to_agent' } as const;

let server: ReferenceServer | undefined;
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await server?.close();
  server = undefined;
});

async function setup(agents: number, overrides: Parameters<typeof startPeers>[1] = {}) {
  server = await startReferenceServer({ agents });
  const peers = startPeers(server.credentials, overrides);
  const list = server.credentials.agents.map((a, i) => new TestAgent(a.id, server!.url, a.token, peers.observer, BigInt(5000 + i), peers.clock));
  cleanups.push(async () => {
    await peers.stop();
    for (const a of list) await a.disconnect();
  });
  return { peers, agents: list };
}

describe('peers workload against the embedded reference server', () => {
  it('2 agents x 2 peers: exact counts both ways, nothing lost, duplicated or stale', async () => {
    const { peers, agents } = await setup(2, { auth: 'cookie' });
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
    const m = peers.metrics;
    expect(m.total(METRIC.coordUpdatesSent, A2P)).toBe(22);
    expect(m.values(METRIC.coordPropagation, A2P)).toHaveLength(40);
    expect(m.total(METRIC.coordUpdatesSent, P2A)).toBe(4);
    for (const tags of [A2P, P2A]) {
      expect(m.total(METRIC.coordLost, tags)).toBe(0);
      expect(m.total(METRIC.coordDuplicated, tags)).toBe(0);
      expect(m.total(METRIC.coordOutOfOrder, tags)).toBe(0);
    }
  });

  it('a late peer gets only the latest agent node; a reconnecting agent gets the waiting peers', async () => {
    const { peers, agents } = await setup(1, { auth: 'header' });
    const agent = agents[0]!;
    await agent.connect();
    for (let i = 0; i < 5; i++) agent.publish();
    peers.start();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 2, 'peer nodes');
    await eventually(() => peers.metrics.values(METRIC.coordFirstNode).length === 2, 'first nodes');
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, A2P)).toBe(0); // the snapshot is not a delivery

    await agent.disconnect();
    const before = agent.received.length;
    await agent.connect();
    await eventually(() => agent.received.length > before, 'waiting peers on reconnect');
    expect(agent.received[before]).toHaveLength(2);
    agent.publish();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 2, 'update after reconnect');
    await peers.stop();
    expect(peers.metrics.total(METRIC.coordLost, A2P)).toBe(0);
    expect(peers.metrics.total(METRIC.coordLost, P2A)).toBe(0);
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, P2A)).toBe(2);
  });
});
