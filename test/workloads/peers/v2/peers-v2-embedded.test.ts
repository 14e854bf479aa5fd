import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/core/clock.js';
import { createRng } from '../../../../src/core/rng.js';
import { METRIC } from '../../../../src/metrics/names.js';
import { createClientNode } from '../../../../src/protocol/node-factory.js';
import { readNodeTag } from '../../../../src/protocol/node-tag.js';
import type { TailnetNode } from '../../../../src/protocol/tailnet-node.js';
import type { CoordinateObserver } from '../../../../src/workloads/coordinate-observer.js';
import type { PeerSocket } from '../../../../src/workloads/peers/peer.js';
import { v2PeerDial } from '../../../../src/workloads/peers/v2/tailnet-dial.js';
import { eventually } from '../../../helpers/eventually.js';
import { embeddedPeers, exchangeTwoByTwo, expectExactTwoByTwo } from '../harness.js';
import { TestAgentV2 } from './test-agent-v2.js';

const A2P = { direction: 'agent_to_peer' } as const;
const P2A = { direction: 'peer_to_agent' } as const;

const fixture = embeddedPeers(TestAgentV2, { protocol: 'v2' });
const { setup } = fixture;

const nullObserver: CoordinateObserver = { agentSent() {}, agentReceived() {}, agentSocket() {} };

describe('v2 peers against the embedded server', () => {
  it('a v2 peer gets its agent node and the agent gets the peer node', async () => {
    const server = await fixture.startServer(1);
    const creds = server.credentials;
    const agentCreds = creds.agents[0]!;
    // No peers workload here: the agent and the direct peer both stamp real time.
    const agent = new TestAgentV2(agentCreds.id, server.url, agentCreds.token, nullObserver, 77n, systemClock());
    await agent.connect();
    const seq = agent.publish();

    const peerNode = createClientNode(createRng('direct-peer'), { nowMs: Date.now() });
    const got: TailnetNode[] = [];
    let closed = false;
    const socket: PeerSocket = await v2PeerDial({
      url: `${server.url.replace(/^http/, 'ws')}/api/v2/workspaceagents/${agentCreds.id}/coordinate`,
      token: creds.userToken,
      tokenIn: 'header',
      agentId: agentCreds.id,
      node: peerNode,
      onNodes: (nodes) => got.push(...nodes),
      onClose: () => (closed = true),
    });
    fixture.onCleanup(async () => {
      socket.close(1000);
      await eventually(() => closed, 'peer closed');
      await agent.disconnect();
    });
    socket.sendTagged?.(1, Date.now());
    await eventually(() => got.length > 0, 'agent node at the peer');
    expect(got[0]!.id).toBe(77n);
    expect(readNodeTag(got[0]!)?.seq).toBe(seq);
    await eventually(() => agent.updates.some((u) => u.kind === 'NODE'), 'peer node at the agent');
    // add_tunnel came before the peer had a node, so the node arrives with its update_self.
    expect(agent.updates.find((u) => u.kind === 'NODE')!.reason).toBe('node update');
    expect(server.counters().totals.v2.clientRpcOpened).toBe(1);
  });

  it('2 agents x 2 peers: exact counts both ways, nothing lost, duplicated or stale', async () => {
    const { peers, agents } = await setup(2, { auth: 'cookie' });
    await exchangeTwoByTwo(peers, agents);
    const m = peers.metrics;
    expectExactTwoByTwo(m);
    expect(m.total(METRIC.error, { endpoint: 'GET /{id}/coordinate', class: 'coordinate_ended' })).toBe(0);
  });

  it('agent leaves gracefully → DISCONNECTED, crashes → LOST; peers stay connected and get its node again', async () => {
    const { peers, agents } = await setup(1, { auth: 'header', perAgent: 2 });
    const agent = agents[0]!;
    await agent.connect();
    agent.publish();
    peers.start();
    await eventually(() => peers.metrics.values(METRIC.coordFirstNode).length === 2, 'first nodes');
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, P2A) === 2, 'peer nodes at the agent');

    await agent.disconnect();
    await eventually(() => peers.metrics.total(METRIC.coordAgentGone, { kind: 'disconnected' }) === 2, 'DISCONNECTED at both peers');
    expect(peers.metrics.lastGauge(METRIC.peersConnected)).toBe(2);

    await agent.connect();
    agent.publish();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 2, 'the agent node again after it came back');
    await agent.crash();
    await eventually(() => peers.metrics.total(METRIC.coordAgentGone, { kind: 'lost' }) === 2, 'LOST at both peers');
    expect(peers.metrics.lastGauge(METRIC.peersConnected)).toBe(2);

    await agent.connect();
    const before = agent.updates.length;
    agent.publish();
    await eventually(() => peers.metrics.total(METRIC.coordUpdatesDelivered, A2P) === 4, 'delivered after the crash');
    // The waiting peers' tunnels survived the agent's reconnects: it gets both peer nodes again.
    await eventually(() => agent.updates.slice(before).filter((u) => u.kind === 'NODE').length === 2, 'peer nodes on reconnect');
    await peers.stop();
    expect(peers.metrics.total(METRIC.coordLost, A2P)).toBe(0);
    expect(peers.metrics.total(METRIC.coordLost, P2A)).toBe(0);
    // A peer that leaves says so: the agent hears DISCONNECTED, not LOST.
    await eventually(() => agent.updates.filter((u) => u.kind === 'DISCONNECTED').length === 2, 'DISCONNECTED about the peers');
    expect(agent.updates.filter((u) => u.kind === 'LOST')).toHaveLength(0);
  });
});
