import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { METRIC } from '../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { createAgentFleet, type AgentFleet } from '../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../src/workloads/agents/kind.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { recordingSink, type RecordingSink } from '../../helpers/sink.js';

const AGENTS = 6;
let server: ReferenceServer;

beforeAll(async () => {
  server = await startReferenceServer({ agents: AGENTS, seed: 'fleet-it', identity: true, reportIntervalMs: 300, heartbeatMs: 500 });
});
afterAll(() => server.close());

/** Differences between what the fleet saw accepted and what the server counted (empty = agree). */
function disagreements(fleet: AgentFleet, metrics: RecordingSink): string[] {
  const counters = server.counters();
  const out: string[] = [];
  for (const a of fleet.agents()) {
    const s = counters.agents[a.id];
    if (!s) {
      out.push(`${a.index}: unknown to the server`);
      continue;
    }
    if (s.reportStats !== a.statsAccepted) out.push(`${a.index}: stats ${a.statsAccepted} vs ${s.reportStats}`);
    if (s.appHealth !== a.appHealthAccepted) out.push(`${a.index}: app-health ${a.appHealthAccepted} vs ${s.appHealth}`);
    if (s.lifecycleStates.join() !== a.lifecycle.join()) out.push(`${a.index}: lifecycle ${a.lifecycle} vs ${s.lifecycleStates}`);
    if (s.coordinateOpened !== a.coordinateConnects) out.push(`${a.index}: connects ${a.coordinateConnects} vs ${s.coordinateOpened}`);
    if (s.connected !== a.connected) out.push(`${a.index}: connected ${a.connected} vs ${s.connected}`);
  }
  const t = counters.totals;
  if (metrics.total(METRIC.statsReported) !== t.reportStats) out.push(`total stats ${metrics.total(METRIC.statsReported)} vs ${t.reportStats}`);
  if (metrics.total(METRIC.appHealthReported) !== t.appHealth) out.push(`total app-health ${metrics.total(METRIC.appHealthReported)} vs ${t.appHealth}`);
  if (metrics.total(METRIC.lifecycleReported) !== t.lifecycleStates)
    out.push(`total lifecycle ${metrics.total(METRIC.lifecycleReported)} vs ${t.lifecycleStates}`);
  const connected = fleet.agents().filter((a) => a.connected).length;
  if (connected !== t.agentsConnected) out.push(`connected ${connected} vs ${t.agentsConnected}`);
  return out;
}

/**
 * Waits until the two views agree. The fleet's clock stands still meanwhile, so no new request
 * starts and the ones in flight settle.
 */
async function agree(fleet: AgentFleet, metrics: RecordingSink): Promise<void> {
  let last: string[] = [];
  await eventually(() => (last = disagreements(fleet, metrics)).length === 0, { what: () => `agreement: ${last.join('; ')}` });
}

describe('agent fleet against the reference server', () => {
  it('counts exactly what the server counts, across a drop of every agent socket', async () => {
    const stop = new AbortController();
    const metrics = recordingSink();
    // The fleet's timers run on a manual clock, moved 25 ms per retry while loopback I/O runs.
    // Its wall time starts at the real now: the server checks the signed identity documents'
    // validity window against its own (real) clock.
    const clock = manualClock({ wallStartMs: Date.now() });
    const until = (check: () => boolean, what: string | (() => string)): Promise<boolean> => eventually(check, { what, clock, stepMs: 25 });
    const config = sectionConfig(
      agentsKind,
      {
        auth: { token: 1, aws: 1, azure: 1, google: 1 },
        apps: { checkInterval: 100, healthyAfter: 200, flapRate: 0 },
        lifecycle: { startupDuration: 100, outcomes: { ready: 1, start_error: 1, start_timeout: 1 } },
        gitauth: 0.5,
        nodeUpdateInterval: 200,
      },
      { durationMs: 60_000 },
    );
    const fleet = createAgentFleet(config, { schedule: () => AGENTS, durationMs: 60_000 });
    const running = fleet.run({
      signal: stop.signal,
      clock,
      metrics,
      target: { url: server.url, embedded: true },
      credentials: server.credentials,
      rng: createRng('fleet-it-5'), // a seed whose 6 agents use all four auth modes
      log: silentLogger,
    });
    try {
      await until(
        () => fleet.agents().length === AGENTS && fleet.agents().every((a) => a.connected && a.statsAccepted >= 2),
        () =>
          `agents up: ${JSON.stringify(fleet.agents().map((a) => [a.authMode, a.connected, a.statsAccepted, a.lifecycle.join()]))} ${JSON.stringify(metrics.samples.filter((x) => x.name === METRIC.error).slice(0, 5))}}`,
      );
      await until(() => fleet.agents().every((a) => ['ready', 'start_error'].includes(a.lifecycle[a.lifecycle.length - 1] ?? '')), 'lifecycle settled');
      const modes = new Set(fleet.agents().map((a) => a.authMode));
      expect([...modes].sort()).toEqual(['aws', 'azure', 'google', 'token']);
      await until(() => fleet.agents().some((a) => a.appHealthAccepted > 0), 'an app-health report');
      await agree(fleet, metrics);
      expect(server.counters().totals.coordinateOpened).toBe(AGENTS);

      expect(server.dropAgentSockets()).toBe(AGENTS);
      await until(() => fleet.agents().every((a) => a.connected && a.coordinateConnects === 2), 'every agent reconnected');
      await agree(fleet, metrics);
      const totals = server.counters().totals;
      expect(totals.coordinateOpened).toBe(2 * AGENTS);
      expect(metrics.total(METRIC.agentsReconnects)).toBe(AGENTS);
      expect(metrics.total(METRIC.agentsAuthenticated)).toBe(AGENTS);
      // Identity agents exchange again on every pass (protocol §9): two passes each.
      for (const mode of ['aws', 'azure', 'google'] as const) {
        expect(totals.identityExchanges[mode]).toBe(2 * fleet.agents().filter((a) => a.authMode === mode).length);
      }
      // Lifecycle is first-pass only: nothing was reported again after the reconnect.
      for (const a of fleet.agents()) expect(a.lifecycle[0]).toBe('starting');
      expect(metrics.total(METRIC.error)).toBe(0);
    } finally {
      stop.abort();
      await running;
    }
    expect(fleet.agents().every((a) => !a.connected)).toBe(true);
    await eventually(() => server.counters().totals.agentsConnected === 0, 'server saw every socket close');
  });
});
