import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import { Ledger, agentKey, peerKey } from '../../../src/workloads/peers/ledger.js';
import { recordingSink } from '../../helpers/sink.js';

const A = agentKey('a1');
const P = peerKey('a1', 0);
const Q = peerKey('a1', 1);
const a2p = { direction: 'agent_to_peer' } as const;

function setup(drainWindowMs = 100) {
  const metrics = recordingSink();
  const ledger = new Ledger({ drainWindowMs, metrics });
  return { metrics, ledger };
}

describe('Ledger', () => {
  it('counts deliveries with latency and fan-out to every open receiver', () => {
    const { ledger, metrics } = setup();
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 1);
    ledger.socketOpened(Q, 1);
    ledger.sent('agent_to_peer', A, 1, 10, [P, Q]);
    expect(ledger.received('agent_to_peer', A, P, 1, 12.5)).toBe('delivered');
    expect(ledger.received('agent_to_peer', A, Q, 1, 13)).toBe('delivered');
    const totals = ledger.finalise(1000);
    expect(totals.agent_to_peer).toEqual({ sent: 1, delivered: 2, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(metrics.values(METRIC.coordPropagation, a2p)).toEqual([2.5, 3]);
    expect(metrics.total(METRIC.coordUpdatesSent, a2p)).toBe(1);
    expect(metrics.total(METRIC.coordUpdatesDelivered, a2p)).toBe(2);
    expect(metrics.total(METRIC.coordLost, a2p)).toBe(0);
  });

  it('counts lost, duplicated and stale arrivals', () => {
    const { ledger, metrics } = setup();
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 0);
    for (let seq = 1; seq <= 5; seq++) ledger.sent('agent_to_peer', A, seq, seq * 10, [P]);
    ledger.received('agent_to_peer', A, P, 1, 11);
    expect(ledger.received('agent_to_peer', A, P, 3, 31)).toBe('delivered');
    expect(ledger.received('agent_to_peer', A, P, 3, 32)).toBe('duplicate');
    expect(ledger.received('agent_to_peer', A, P, 2, 33)).toBe('delivered_stale');
    ledger.received('agent_to_peer', A, P, 5, 51);
    const totals = ledger.finalise(1000);
    expect(totals.agent_to_peer).toEqual({ sent: 5, delivered: 4, lost: 1, duplicated: 1, outOfOrder: 1 });
    expect(metrics.total(METRIC.coordLost, a2p)).toBe(1);
    expect(metrics.total(METRIC.coordDuplicated, a2p)).toBe(1);
    expect(metrics.total(METRIC.coordOutOfOrder, a2p)).toBe(1);
  });

  it('a late joiner gets the latest node as a snapshot, not a delivery, and earlier updates are not lost', () => {
    const { ledger, metrics } = setup();
    ledger.socketOpened(A, 0);
    ledger.sent('agent_to_peer', A, 1, 10, [P]);
    ledger.sent('agent_to_peer', A, 2, 20, [P]);
    ledger.socketOpened(P, 30);
    expect(ledger.received('agent_to_peer', A, P, 2, 31)).toBe('snapshot');
    ledger.sent('agent_to_peer', A, 3, 40, [P]);
    ledger.received('agent_to_peer', A, P, 3, 41);
    const totals = ledger.finalise(1000);
    expect(totals.agent_to_peer).toEqual({ sent: 3, delivered: 1, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(metrics.values(METRIC.coordPropagation, a2p)).toEqual([1]);
  });

  it('a receiver that reconnects legitimately misses updates sent while it was closing', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 0);
    ledger.sent('agent_to_peer', A, 1, 10, [P]);
    ledger.socketClosed(P, 50); // within the drain window of seq 1: not expected
    ledger.sent('agent_to_peer', A, 2, 60, [P]); // P closed: not a candidate
    ledger.socketOpened(P, 70);
    expect(ledger.received('agent_to_peer', A, P, 2, 71)).toBe('snapshot');
    // A re-arrival of an old node on a new socket is a snapshot, not a duplicate.
    const totals = ledger.finalise(1000);
    expect(totals.agent_to_peer).toMatchObject({ sent: 2, delivered: 0, lost: 0, duplicated: 0 });
  });

  it('a receiver that stayed open for the whole drain window after a send expects it', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 0);
    ledger.sent('agent_to_peer', A, 1, 10, [P]);
    ledger.socketClosed(P, 500);
    expect(ledger.finalise(1000).agent_to_peer.lost).toBe(1);
  });

  it('excuses updates the sender socket may have dropped, and updates collapsed into the connect snapshot', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 0);
    ledger.sent('agent_to_peer', A, 1, 10, [P]);
    ledger.socketClosed(A, 20); // sender gone before the update could be relied on
    ledger.socketOpened(A, 30);
    ledger.socketOpened(Q, 31);
    ledger.sent('agent_to_peer', A, 2, 32, [P, Q]);
    ledger.sent('agent_to_peer', A, 3, 33, [P, Q]);
    // Q was registered late by the coordinator: its first node is seq 3 (snapshot of a candidate).
    expect(ledger.received('agent_to_peer', A, Q, 3, 34)).toBe('delivered');
    ledger.received('agent_to_peer', A, P, 2, 34);
    ledger.received('agent_to_peer', A, P, 3, 35);
    expect(ledger.finalise(1000).agent_to_peer).toMatchObject({ sent: 3, delivered: 3, lost: 0 });
  });

  it('gives no snapshot excuse to sockets marked established', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(A, 0, true);
    ledger.socketOpened(P, 0, true);
    ledger.sent('agent_to_peer', A, 1, 10, [P]);
    ledger.sent('agent_to_peer', A, 2, 11, [P]);
    ledger.received('agent_to_peer', A, P, 2, 12);
    expect(ledger.finalise(1000).agent_to_peer).toMatchObject({ delivered: 1, lost: 1 });
  });

  it('tracks the reverse direction and a reconnecting agent gets waiting peers as a snapshot', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(P, 0);
    ledger.sent('peer_to_agent', P, 1, 5, [A]); // agent not connected: kept by the coordinator
    ledger.socketOpened(A, 10);
    expect(ledger.received('peer_to_agent', P, A, 1, 11)).toBe('snapshot');
    ledger.sent('peer_to_agent', P, 2, 20, [A]);
    expect(ledger.received('peer_to_agent', P, A, 2, 21)).toBe('delivered');
    ledger.sent('peer_to_agent', P, 3, 30, [A]);
    const totals = ledger.finalise(1000);
    expect(totals.peer_to_agent).toEqual({ sent: 3, delivered: 1, lost: 1, duplicated: 0, outOfOrder: 0 });
    expect(totals.agent_to_peer.sent).toBe(0);
  });

  it('does not judge updates without a full drain window and ignores events after finalise', () => {
    const { ledger } = setup(100);
    ledger.socketOpened(A, 0);
    ledger.socketOpened(P, 0);
    ledger.sent('agent_to_peer', A, 1, 800, [P]);
    ledger.sent('agent_to_peer', A, 2, 950, [P]);
    expect(ledger.finalise(1000).agent_to_peer).toMatchObject({ sent: 2, lost: 1 });
    expect(ledger.received('agent_to_peer', A, P, 1, 1001)).toBe('ignored');
    expect(ledger.finalise(2000).agent_to_peer.lost).toBe(1);
  });
});
