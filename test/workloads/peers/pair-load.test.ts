import { afterEach, describe, expect, it } from 'vitest';
import { accountStep, AgentSide, drain, PeerSide } from '../../../src/workloads/peers/pair-load.js';
import { startRawRelay, type RawRelay } from '../../../src/workloads/peers/raw-relay.js';
import { testCredentials } from './harness.js';
import { startRelayDouble } from './relay-double.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

async function drive(url: string, creds: ReturnType<typeof testCredentials>, agents: number) {
  const agentSide = await AgentSide.connect(url, creds, agents);
  closers.push(() => agentSide.close());
  const peerSide = await PeerSide.connect(url, creds, agents);
  closers.push(() => peerSide.close());
  peerSide.take(); // the connect snapshots
  const sent = await agentSide.step(500, 100);
  const endMs = await drain(() => peerSide.arrived(), sent.sends.length / 3, 200, 5000);
  return accountStep(500, sent, peerSide.take(), endMs + 200, 200);
}

describe('coordinator bench load (AgentSide / PeerSide / accountStep)', () => {
  it('drives the raw relay at a fixed count and accounts every update', async () => {
    const creds = testCredentials('', 5);
    const relay: RawRelay = await startRawRelay({ agentTokens: new Map(creds.agents.map((a) => [a.token, a.id])), userToken: creds.userToken });
    closers.push(() => relay.close());
    const r = await drive(relay.url, creds, 5);
    expect(r).toMatchObject({ sent: 50, delivered: 50, lost: 0, duplicated: 0, outOfOrder: 0, closes: 0 });
    expect(r.p99).toBeGreaterThan(0);
  });

  it('counts the exact loss of a coordinator that drops one update in ten', async () => {
    const creds = testCredentials('', 5);
    const relay = await startRelayDouble({ agentTokens: new Map(creds.agents.map((a) => [a.token, a.id])), userToken: creds.userToken, dropEvery: 10 });
    closers.push(() => relay.close());
    const r = await drive(relay.url, creds, 5); // 5 initial nodes (#1..#5), then #6..#55: 5 dropped
    expect(r).toMatchObject({ sent: 50, delivered: 45, lost: 5, duplicated: 0 });
  });
});
