import { afterEach, describe, expect, it } from 'vitest';
import { PairLoad } from '../../../src/workloads/peers/pair-load.js';
import { startRawRelay, type RawRelay } from '../../../src/workloads/peers/raw-relay.js';
import { testCredentials } from './harness.js';
import { startRelayDouble, type RelayDouble } from './relay-double.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

describe('coordinator bench load (PairLoad)', () => {
  it('drives the raw relay at a fixed count and accounts every update', async () => {
    const creds = testCredentials('', 5);
    const relay: RawRelay = await startRawRelay({ agentTokens: new Map(creds.agents.map((a) => [a.token, a.id])), userToken: creds.userToken });
    closers.push(() => relay.close());
    creds.url = relay.url;
    const load = await PairLoad.connect({ url: relay.url, credentials: creds, agents: 5 });
    closers.push(() => load.close());
    const r = await load.step(500, 100, { drainQuietMs: 200 });
    expect(r).toMatchObject({ sent: 50, delivered: 50, lost: 0, duplicated: 0, outOfOrder: 0, closes: 0 });
    expect(r.p99).toBeGreaterThan(0);
  });

  it('counts the exact loss of a coordinator that drops one update in ten', async () => {
    const creds = testCredentials('', 5);
    const relay: RelayDouble = await startRelayDouble({
      agentTokens: new Map(creds.agents.map((a) => [a.token, a.id])),
      userToken: creds.userToken,
      dropEvery: 10,
    });
    closers.push(() => relay.close());
    creds.url = relay.url;
    const load = await PairLoad.connect({ url: relay.url, credentials: creds, agents: 5 }); // 5 initial nodes
    closers.push(() => load.close());
    const r = await load.step(500, 100, { drainQuietMs: 200 }); // relay messages #6..#55: 5 dropped
    expect(r).toMatchObject({ sent: 50, delivered: 45, lost: 5, duplicated: 0 });
  });
});
