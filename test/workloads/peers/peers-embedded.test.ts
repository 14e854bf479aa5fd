import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import { embeddedPeers, exchangeTwoByTwo, expectExactTwoByTwo } from './harness.js';
import { TestAgent } from './test-agent.js';
import { eventually } from '../../helpers/eventually.js';

const A2P = { direction: 'agent_to_peer' } as const;
const P2A = { direction: 'peer_to_agent' } as const;

const { setup } = embeddedPeers(TestAgent);

describe('peers workload against the embedded reference server', () => {
  it('2 agents x 2 peers: exact counts both ways, nothing lost, duplicated or stale', async () => {
    const { peers, agents } = await setup(2, { auth: 'cookie' });
    await exchangeTwoByTwo(peers, agents);
    expectExactTwoByTwo(peers.metrics);
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
