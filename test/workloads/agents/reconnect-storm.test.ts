import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { createRecorder } from '../../../src/metrics/recorder.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { createAgentFleet } from '../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../src/workloads/agents/kind.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';

const AGENTS = 16;
let server: ReferenceServer;

beforeAll(async () => {
  server = await startReferenceServer({ agents: AGENTS, seed: 'storm-it', reportIntervalMs: 60_000 });
});
afterAll(() => server.close());

/**
 * Runs a fleet on a manual clock, drops every agent socket at a whole second of the recorder's
 * series, and returns the per-second reconnect counts after every agent is back. Time moves only
 * while no agent is on its way back (each is connected or waiting out its backoff), so every
 * reconnect is recorded at the instant its backoff ended, whatever the loopback I/O took.
 */
async function storm(jitter: 'none' | 'full'): Promise<number[]> {
  const clock = manualClock();
  const recorder = createRecorder({ clock });
  const config = sectionConfig(agentsKind, { reconnect: { initial: '2s', max: '10s', jitter }, nodeUpdateInterval: '1m' }, { durationMs: 600_000 });
  const fleet = createAgentFleet(config, { schedule: () => AGENTS, durationMs: 600_000 });
  const stop = new AbortController();
  const running = fleet.run({
    signal: stop.signal,
    clock,
    metrics: recorder,
    target: { url: server.url, embedded: true },
    credentials: server.credentials,
    rng: createRng('storm'),
    log: silentLogger,
  });
  const agents = () => fleet.agents();
  const settled = () => agents().every((a) => a.connected || a.backingOff);
  try {
    await eventually(() => agents().length === AGENTS && agents().every((a) => a.connected), { what: 'fleet up', clock, stepMs: 25 });
    await clock.advanceAsync(1000 - (recorder.elapsedMs() % 1000));
    await eventually(settled, 'quiet before the drop');
    const dropSecond = Math.floor(recorder.elapsedMs() / 1000);
    expect(server.dropAgentSockets(1)).toBe(AGENTS);
    await eventually(() => agents().every((a) => !a.connected && a.backingOff), 'every agent backing off');
    // Bounded: 50 ms steps over at most 5 s of manual time (the backoff is ≤ 2 s here).
    for (let step = 0; step < 100 && !agents().every((a) => a.connected && a.coordinateConnects === 2); step++) {
      await clock.advanceAsync(50);
      await eventually(settled, 'reconnects in flight settled');
    }
    expect(agents().map((a) => a.coordinateConnects)).toEqual(Array(AGENTS).fill(2));
    return recorder
      .timeSeries()
      .slice(dropSecond)
      .map((p) => p.reconnects);
  } finally {
    stop.abort();
    await running;
  }
}

describe('reconnect storm against the embedded server (agents.reconnect)', () => {
  it('without jitter every agent reconnects in the same second; full jitter spreads them and lowers the peak', async () => {
    const plain = await storm('none');
    const jittered = await storm('full');
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(plain)).toBe(AGENTS);
    expect(sum(jittered)).toBe(AGENTS);
    // Dropped at a whole second, back exactly `initial` (2 s) later: one second holds them all.
    expect(plain[2]).toBe(AGENTS);
    expect(Math.max(...plain)).toBe(AGENTS);
    // Uniform in [0, 2 s]: spread over at least two seconds, none after the nominal delay.
    expect(Math.max(...jittered)).toBeLessThan(AGENTS);
    expect(jittered.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(sum(jittered.slice(0, 3))).toBe(AGENTS);
  });
});
