import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/core/log.js';
import { createRng } from '../../../../src/core/rng.js';
import { METRIC } from '../../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../../src/server/reference-server.js';
import { startReferenceServer } from '../../../helpers/loopback.js';
import { createAgentFleet, type AgentFleet } from '../../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../../src/workloads/agents/kind.js';
import { sectionConfig } from '../../../../src/workloads/kind.js';
import { recordingSink, type RecordingSink } from '../../../helpers/sink.js';
import { eventually } from '../../../helpers/eventually.js';
import { PausableClock } from './pausable-clock.js';

const AGENTS = 6;
let server: ReferenceServer;

beforeAll(async () => {
  server = await startReferenceServer({ agents: AGENTS, seed: 'fleet-v2-it', identity: true, reportIntervalMs: 300, heartbeatMs: 500 });
});
afterAll(() => server.close());

async function until(cond: () => boolean, what: string): Promise<void> {
  await eventually(cond, what);
}

/** Differences between what the v2 fleet saw accepted and what the server counted (empty = agree). */
function disagreements(fleet: AgentFleet, metrics: RecordingSink): string[] {
  const counters = server.counters();
  const out: string[] = [];
  const pairs: [string, number, number][] = [];
  for (const a of fleet.agents()) {
    const s = counters.agents[a.id]?.v2;
    const v = a.v2;
    if (!s || !v) {
      out.push(`${a.index}: ${s ? 'no v2 report' : 'unknown to the server'}`);
      continue;
    }
    if (v.rpcInFlight !== 0) out.push(`${a.index}: ${v.rpcInFlight} calls in flight`);
    if (s.lifecycleStates.join() !== a.lifecycle.join()) out.push(`${a.index}: lifecycle ${a.lifecycle} vs ${s.lifecycleStates}`);
    if (s.connected !== a.connected) out.push(`${a.index}: connected ${a.connected} vs ${s.connected}`);
    pairs.push(
      [`${a.index} sessions`, v.sessions, s.rpcOpened],
      [`${a.index} manifests`, v.manifests, s.calls.GetManifest ?? 0],
      [`${a.index} startups`, v.startups, s.calls.UpdateStartup ?? 0],
      [`${a.index} banners`, v.banners, s.calls.GetAnnouncementBanners ?? 0],
      [`${a.index} stats`, a.statsAccepted, s.statsReports],
      [`${a.index} stats interval`, v.statsIntervalCalls, s.statsIntervalOnly],
      [`${a.index} app-health calls`, a.appHealthAccepted, s.calls.BatchUpdateAppHealths ?? 0],
      [`${a.index} app-health updates`, v.appHealthUpdates, s.appHealthUpdates],
      [`${a.index} metadata`, v.metadataKeys, s.metadataKeys],
      [`${a.index} log lines`, v.logLines, s.logLines],
      [`${a.index} log bytes`, v.logBytes, s.logBytes],
      [`${a.index} coordinate streams`, v.coordinateStreams, s.calls.Coordinate ?? 0],
      [`${a.index} node updates`, v.nodeUpdatesSent, s.nodeUpdates],
      [`${a.index} peer updates`, v.peerUpdatesReceived, s.peerUpdatesSent],
      [`${a.index} derp streams`, v.derpStreams, s.calls.StreamDERPMaps ?? 0],
      [`${a.index} server errors`, 0, Object.values(s.errors).reduce((n, e) => n + e, 0)],
    );
  }
  const t = counters.totals;
  pairs.push(
    ['total stats', metrics.total(METRIC.statsReported), t.v2.calls.UpdateStats! - fleet.agents().reduce((n, a) => n + (a.v2?.statsIntervalCalls ?? 0), 0)],
    ['total app-health', metrics.total(METRIC.appHealthReported), t.v2.calls.BatchUpdateAppHealths ?? 0],
    ['total lifecycle', metrics.total(METRIC.lifecycleReported), t.v2.calls.UpdateLifecycle ?? 0],
    ['total log lines', metrics.total(METRIC.logLinesReported), fleet.agents().reduce((n, a) => n + (counters.agents[a.id]?.v2.logLines ?? 0), 0)],
    ['connected', fleet.agents().filter((a) => a.connected).length, t.v2.agentsConnected],
  );
  for (const [what, fleetSaw, serverSaw] of pairs) if (fleetSaw !== serverSaw) out.push(`${what}: ${fleetSaw} vs ${serverSaw}`);
  return out;
}

/**
 * Polls until the two views agree. The test pauses the fleet's clock first, so no periodic
 * call can start meanwhile; with every call on the one session, agreement then also means
 * nothing is in flight, and a drop cannot cut off a call the server already counted.
 */
async function agree(fleet: AgentFleet, metrics: RecordingSink): Promise<void> {
  await eventually(() => {
    const differences = disagreements(fleet, metrics);
    if (differences.length > 0) throw new Error(`fleet and server disagree: ${differences.join('; ')}`);
  });
}

describe('v2 agent fleet against the reference server', () => {
  it('counts exactly what the server counts, across a drop of every session, and shuts down cleanly', async () => {
    const stop = new AbortController();
    const metrics = recordingSink();
    const clock = new PausableClock();
    const config = sectionConfig(
      agentsKind,
      {
        protocol: 'v2',
        auth: { token: 1, aws: 1, azure: 1, google: 1 },
        apps: { checkInterval: 100, healthyAfter: 200, flapRate: 0 },
        lifecycle: { startupDuration: 100, outcomes: { ready: 1, start_error: 1, start_timeout: 1 } },
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
      rng: createRng('fleet-it-5'),
      log: silentLogger,
    });
    try {
      await until(() => fleet.agents().length === AGENTS && fleet.agents().every((a) => a.connected && a.statsAccepted >= 2), 'agents up');
      await until(() => fleet.agents().every((a) => ['ready', 'start_error'].includes(a.lifecycle[a.lifecycle.length - 1] ?? '')), 'lifecycle settled');
      const modes = new Set(fleet.agents().map((a) => a.authMode));
      expect([...modes].sort()).toEqual(['aws', 'azure', 'google', 'token']);
      const outcomes = new Set(fleet.agents().map((a) => a.lifecycle.join('>')));
      expect(outcomes).toContain('starting>start_timeout>ready');
      await until(() => fleet.agents().some((a) => a.appHealthAccepted > 0), 'an app-health report');
      await until(() => fleet.agents().every((a) => (a.v2?.logLines ?? 0) > 0 && (a.v2?.nodeUpdatesSent ?? 0) >= 3), 'logs and node updates');
      clock.pause();
      await agree(fleet, metrics);
      expect(server.dropAgentSockets()).toBe(AGENTS);
      // Still paused until every agent has seen its session end, so nothing was sent into it.
      await until(() => fleet.agents().every((a) => !a.connected), 'every agent saw the drop');
      clock.resume();
      await until(() => fleet.agents().every((a) => a.connected && a.v2?.sessions === 2), 'every agent reconnected');
      const statsBefore = fleet.agents().map((a) => a.statsAccepted);
      await until(() => fleet.agents().every((a, i) => a.statsAccepted >= statsBefore[i]! + 2), 'stats on the new sessions');
      clock.pause();
      await agree(fleet, metrics);
      clock.resume();
      const totals = server.counters().totals;
      expect(totals.v2.rpcOpened).toBe(2 * AGENTS);
      expect(metrics.total(METRIC.agentsReconnects)).toBe(AGENTS);
      expect(metrics.total(METRIC.agentsAuthenticated)).toBe(AGENTS);
      for (const mode of ['aws', 'azure', 'google'] as const) {
        expect(totals.identityExchanges[mode]).toBe(2 * fleet.agents().filter((a) => a.authMode === mode).length);
      }
      for (const a of fleet.agents()) {
        // Each state once, in order, across both sessions; manifest and startup once per session.
        expect(a.lifecycle[0]).toBe('starting');
        expect(new Set(a.lifecycle).size).toBe(a.lifecycle.length);
        expect(a.v2?.manifests).toBe(2);
        expect(a.v2?.derpMaps).toBe(2);
      }
      expect(metrics.total(METRIC.error)).toBe(0);
    } finally {
      stop.abort();
      await running;
    }
    // Graceful shutdown: shutting_down and off reported, Coordinate left with disconnect{}.
    for (const a of fleet.agents()) {
      expect(a.lifecycle.slice(-2)).toEqual(['shutting_down', 'off']);
      expect(a.connected).toBe(false);
    }
    await agree(fleet, metrics);
    await until(() => server.counters().totals.v2.agentsConnected === 0, 'server saw every session close');
    const counters = server.counters();
    for (const a of fleet.agents()) {
      // Nothing went over v1.
      expect(counters.agents[a.id]?.reportStats).toBe(0);
      expect(counters.agents[a.id]?.coordinateOpened).toBe(0);
    }
  });
});
