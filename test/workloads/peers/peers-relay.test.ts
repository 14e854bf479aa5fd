import { afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import { readNodeTag } from '../../../src/protocol/node-tag.js';
import { decodeNodesFast } from '../../../src/workloads/peers/ws-dial.js';
import { exchangeTwoByTwo, expectExactTwoByTwo, type PeersOverrides, startPeers, testCredentials } from './harness.js';
import { startRelayDouble, type RelayDouble } from './relay-double.js';
import { TestAgent } from './test-agent.js';
import { eventually } from '../../helpers/eventually.js';

const A2P = { direction: 'agent_to_peer' } as const;
const P2A = { direction: 'peer_to_agent' } as const;

let relay: RelayDouble | undefined;
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await relay?.close();
  relay = undefined;
});

/** The relay double with `agentCount` agents, a peers workload (not started) and one TestAgent each (not connected), closed in afterEach. */
async function setup(agentCount: number, options: { dropEvery?: number; peers?: PeersOverrides } = {}) {
  const creds = testCredentials('', agentCount);
  relay = await startRelayDouble({
    agentTokens: new Map(creds.agents.map((a) => [a.token, a.id])),
    userToken: creds.userToken,
    dropEvery: options.dropEvery,
  });
  creds.url = relay.url;
  const peers = startPeers(creds, options.peers);
  const agents = creds.agents.map((a, i) => new TestAgent(a.id, creds.url, a.token, peers.observer, BigInt(1000 + i), peers.clock));
  cleanups.push(async () => {
    await peers.stop();
    for (const a of agents) await a.disconnect();
  });
  return { peers, agents };
}

describe('peers workload against a §7.4 relay double', () => {
  it('counts deliveries and latency exactly on 2 agents x 2 peers, both directions', async () => {
    const { peers, agents } = await setup(2, { peers: { auth: 'header' } });
    await exchangeTwoByTwo(peers, agents);

    const m = peers.metrics;
    expectExactTwoByTwo(m);
    expect(m.values(METRIC.coordPropagation, A2P).every((ms) => ms >= 0)).toBe(true);
    expect(m.values(METRIC.coordPropagation, P2A)).toHaveLength(4);
    expect(m.lastGauge(METRIC.peersConnected)).toBe(0);
  });

  it('catches a coordinator that drops one agent update in ten, with the exact lost count', async () => {
    const { peers, agents } = await setup(2, { dropEvery: 10 });
    for (const a of agents) {
      await a.connect();
      a.publish();
    } // relay messages #1, #2
    peers.start();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 4, 'peer nodes at the agents');
    for (const a of agents) for (let i = 0; i < 10; i++) a.publish(); // #3..#22: #10 and #20 dropped
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 36, 'surviving updates');
    await peers.stop();
    expect(relay?.dropped).toBe(2);
    expect(peers.metrics.total(METRIC.coordLost, A2P)).toBe(4); // 2 updates x 2 peers
    expect(peers.metrics.total(METRIC.coordLost, P2A)).toBe(0);
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, A2P)).toBe(36);
  });

  it('a peer that joins late gets only the latest node, which is neither a delivery nor a loss', async () => {
    const { peers, agents } = await setup(1);
    const agent = agents[0]!;
    await agent.connect();
    for (let i = 0; i < 5; i++) agent.publish(); // seq 1..5 before any peer exists
    peers.start();
    await eventually(() => peers.metrics.values(METRIC.coordFirstNode).length === 2, 'first nodes');
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 2, 'peer nodes');
    for (const log of relay?.clientMessages ?? []) {
      const first = decodeNodesFast(log[0] ?? '[]');
      expect(first).toHaveLength(1);
      expect(readNodeTag(first[0]!)?.seq).toBe(5);
    }
    for (let i = 0; i < 3; i++) agent.publish();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 6, 'post-join updates');
    await peers.stop();
    expect(peers.metrics.total(METRIC.coordUpdatesSent, A2P)).toBe(8);
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, A2P)).toBe(6);
    expect(peers.metrics.total(METRIC.coordLost, A2P)).toBe(0);
  });

  it('a reconnecting agent gets every waiting peer node in one array, not counted as delivery or loss', async () => {
    const { peers, agents } = await setup(1);
    const agent = agents[0]!;
    await agent.connect();
    agent.publish();
    peers.start();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 2, 'peer nodes');
    await agent.disconnect();
    const before = agent.received.length;
    await agent.connect();
    await eventually(() => agent.received.length > before, 'waiting peers on reconnect');
    expect(agent.received[before]).toHaveLength(2);
    agent.publish();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 2, 'update after reconnect');
    await peers.stop();
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, P2A)).toBe(2);
    expect(peers.metrics.total(METRIC.coordLost, P2A)).toBe(0);
    expect(peers.metrics.total(METRIC.coordLost, A2P)).toBe(0);
    expect(peers.metrics.total(METRIC.coordDuplicated, P2A)).toBe(0);
  });

  it('peers publish tagged updates at a rate and every one reaches the agent', async () => {
    const { peers, agents } = await setup(1, { peers: { updateRate: 100, jitter: 0.2 } });
    const agent = agents[0]!;
    await agent.connect();
    agent.publish();
    peers.start();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesSent, P2A) >= 20, { what: '20 peer updates', clock: peers.clock, stepMs: 10 });
    await peers.stop();
    const sent = peers.metrics.total(METRIC.coordUpdatesSent, P2A);
    expect(peers.metrics.total(METRIC.coordUpdatesDelivered, P2A)).toBe(sent);
    expect(peers.metrics.total(METRIC.coordLost, P2A)).toBe(0);
    expect(peers.metrics.total(METRIC.coordOutOfOrder, P2A)).toBe(0);
  });
});
