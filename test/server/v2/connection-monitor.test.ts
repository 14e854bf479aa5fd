import { describe, expect, it } from 'vitest';
import { computeStatus } from '../../../src/server/agent-view.js';
import { fixtureAgents } from '../../../src/server/fixtures.js';
import { Heartbeats } from '../../../src/server/heartbeats.js';
import { resolveOptions } from '../../../src/server/options.js';
import type { ServerState } from '../../../src/server/state.js';
import { AgentStore } from '../../../src/server/store.js';
import { ConnectionMonitor } from '../../../src/server/v2/connection-monitor.js';
import { manualClock } from '../../helpers/clock.js';

function setup() {
  const clock = manualClock();
  const store = new AgentStore();
  const agent = store.add(fixtureAgents('1', 0, 1)[0]!, clock.wallNow());
  const heartbeats = new Heartbeats(1_000_000); // ticks are driven by hand below
  const s = { opts: resolveOptions({ heartbeatMs: 15_000 }), wallNow: () => clock.wallNow(), heartbeats } as unknown as ServerState;
  const closed: string[] = [];
  let answer = true;
  const link = {
    ping: () => (answer ? Promise.resolve(1) : new Promise<number>(() => undefined)),
    close: (reason: string) => void closed.push(reason),
  };
  const status = () => computeStatus(agent, clock.wallNow(), s.opts.inactiveMs).status;
  return { clock, agent, s, link, closed, status, heartbeats, mute: () => (answer = false) };
}

describe('ConnectionMonitor (docs/protocol-v2.md §5.11)', () => {
  it('keeps the agent connected while pongs arrive and closes with "ping timeout" when they stop', async () => {
    const t = setup();
    const monitor = new ConnectionMonitor(t.s, t.agent, t.link);
    expect(t.status()).toBe('connected');
    for (let i = 0; i < 4; i++) {
      t.clock.advance(15_000);
      monitor.beat();
      await Promise.resolve(); // the pong
    }
    expect(t.closed).toEqual([]);
    expect(t.status()).toBe('connected');
    t.mute();
    t.clock.advance(15_000);
    monitor.beat(); // pong from the last round still counts
    t.clock.advance(15_000);
    monitor.beat(); // 30 s since the last pong: not yet past the timeout
    expect(t.closed).toEqual([]);
    t.clock.advance(15_000);
    monitor.beat();
    expect(t.closed).toEqual(['ping timeout']);
    t.clock.advance(1);
    monitor.stop();
    expect(t.status()).toBe('disconnected');
    expect(t.agent.disconnectedAt).toBe(t.clock.wallNow());
    t.heartbeats.close();
  });

  it('keeps an earlier disconnected_at when the session ends before its first tick (coderd quirk)', () => {
    const t = setup();
    t.agent.firstConnectedAt = t.clock.wallNow() - 60_000;
    t.agent.lastConnectedAt = t.clock.wallNow() - 60_000;
    t.agent.disconnectedAt = t.clock.wallNow() - 30_000;
    const monitor = new ConnectionMonitor(t.s, t.agent, t.link);
    t.clock.advance(10);
    monitor.stop();
    expect(t.agent.disconnectedAt).toBe(t.clock.wallNow() - 30_010);
    expect(t.agent.lastConnectedAt).toBe(t.clock.wallNow() - 10);
    // disconnected_at < last_connected_at: reads connected until the inactive timeout passes.
    expect(t.status()).toBe('connected');
    t.clock.advance(t.s.opts.inactiveMs + 1);
    expect(t.status()).toBe('disconnected');
    t.heartbeats.close();
  });
});
