import { afterEach, describe, expect, it } from 'vitest';
import { accountStep, drain } from '../../../../src/workloads/peers/pair-load.js';
import { AgentSideV2, PeerSideV2 } from '../../../../src/workloads/peers/v2/pair-load-v2.js';
import { startReferenceServer } from '../../../helpers/loopback.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

describe('coordinator bench load over v2 (AgentSideV2 / PeerSideV2)', () => {
  it('drives the embedded v2 coordinator at a fixed count and accounts every update', async () => {
    const server = await startReferenceServer({ agents: 5 });
    closers.push(() => server.close());
    const agents = await AgentSideV2.connect(server.url, server.credentials, 5);
    closers.push(() => agents.close());
    const peers = await PeerSideV2.connect(server.url, server.credentials, 5);
    closers.push(() => peers.close());
    const snapshots = peers.take();
    expect(snapshots.arrivals.filter((_, k) => k % 3 === 1)).toEqual([0, 0, 0, 0, 0]); // each agent's seq-0 node
    const sent = await agents.step(500, 100);
    const endMs = await drain(() => peers.arrived(), sent.sends.length / 3, 200, 5000);
    const r = accountStep(500, sent, peers.take(), endMs + 200, 200);
    expect(r).toMatchObject({ sent: 50, delivered: 50, lost: 0, duplicated: 0, outOfOrder: 0, closes: 0 });
    expect(r.p99).toBeGreaterThan(0);
    expect(server.counters().totals.v2.clientRpcOpened).toBe(5);
  });
});
