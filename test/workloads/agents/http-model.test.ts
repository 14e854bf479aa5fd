import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetsimError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { METRIC } from '../../../src/metrics/names.js';
import type { Plan } from '../../../src/scenario/plan.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { createAgentFleet } from '../../../src/workloads/agents/fleet.js';
import { AGENT_CONNECTIONS } from '../../../src/client/http-transport.js';
import { chooseHttpModel, dialGateSize, fdBudgetIssue, FD_MARGIN } from '../../../src/workloads/agents/http-model.js';
import { agentsKind } from '../../../src/workloads/agents/kind.js';
import { createCoordinateTap } from '../../../src/workloads/coordinate-observer.js';
import { sectionConfig, type WorkloadEnv } from '../../../src/workloads/kind.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';

describe('chooseHttpModel (agents.http)', () => {
  it('makes auto the faithful per-agent model when the open-files limit holds it', () => {
    expect(chooseHttpModel('auto', 1_000, 0, 20_000)).toEqual({ model: 'per-agent', chosen: 'default', openFilesLimit: 20_000 });
    expect(chooseHttpModel('auto', 1_000, 0, undefined)).toEqual({ model: 'per-agent', chosen: 'default' });
  });

  it('falls back to the shared pool, with the reason, when it does not', () => {
    const choice = chooseHttpModel('auto', 12_000, 0, 20_000);
    expect(choice).toMatchObject({ model: 'shared', chosen: 'fd-budget', openFilesLimit: 20_000 });
    expect(choice.reason).toMatch(/at most 6581 agents fit/);
    expect(choice.issue).toBeUndefined();
  });

  it('keeps what the scenario says, and flags a per-agent fleet that cannot fit', () => {
    expect(chooseHttpModel('shared', 10, 0, 20_000)).toEqual({ model: 'shared', chosen: 'scenario', openFilesLimit: 20_000 });
    expect(chooseHttpModel('per-agent', 10, 0, 20_000)).toEqual({ model: 'per-agent', chosen: 'scenario', openFilesLimit: 20_000 });
    expect(chooseHttpModel('per-agent', 12_000, 0, 20_000).issue).toMatch(/at most 6581 agents fit/);
  });
});

describe('dialGateSize', () => {
  it('admits the whole fleet with a connection per agent, and the pool size when the agents share one', () => {
    expect(dialGateSize('per-agent', 1_000, 256)).toBe(1_000);
    expect(dialGateSize('shared', 1_000, 64)).toBe(64);
    expect(dialGateSize('per-agent', 0, 256)).toBe(1);
  });
});

describe('fdBudgetIssue (agents.http: per-agent)', () => {
  it('accepts a fleet that fits three descriptors per agent plus the margin', () => {
    expect(fdBudgetIssue(6_000, 0, 20_000)).toBeUndefined();
    expect(fdBudgetIssue(Math.floor((20_000 - FD_MARGIN) / 3), 0, 20_000)).toBeUndefined();
    expect(fdBudgetIssue(1_000_000, 0, undefined)).toBeUndefined();
  });

  it('says how many agents fit when the fleet does not', () => {
    expect(fdBudgetIssue(12_000, 0, 20_000)).toBe(
      'agents.http "per-agent" holds up to 3 descriptors per agent (coordinate socket + 2 REST connections): ' +
        '12000 agents need about 36256 open files, but this process may open 20000 (ulimit -n); at most 6581 agents fit in one process',
    );
    // Peer sockets of the same process count too: four descriptors per agent here.
    expect(fdBudgetIssue(5_000, 5_000, 20_000)).toMatch(/5000 agents and 5000 peer sockets need about 20256 open files.*at most 4936 agents fit/);
  });

  it.runIf(process.platform === 'linux')('makes the agents kind refuse to start with a usage error', async () => {
    const config = sectionConfig(agentsKind, { count: 10, http: 'per-agent' }, { durationMs: 10_000 });
    // More agents than any open-files limit Linux allows (nr_open is at most 2^30).
    const env = {
      durationMs: 10_000,
      plan: { peakAgents: 2 ** 31 } as Plan,
      schedule: () => 10,
      agents: config,
      coordinate: createCoordinateTap(),
      sourceAddresses: [],
    } satisfies WorkloadEnv;
    const error = await agentsKind.create(config, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).code).toBe('usage');
    expect((error as FleetsimError).message).toMatch(/agents fit in one process/);
    expect((error as FleetsimError).hint).toMatch(/agents\.http: "shared"/);
    // The default (auto) falls back to the shared pool instead; v2 agents that never make a REST
    // request need no check.
    const shared = sectionConfig(agentsKind, { count: 10 }, { durationMs: 10_000 });
    await expect(agentsKind.create(shared, { ...env, agents: shared })).resolves.toBeDefined();
    const v2 = sectionConfig(agentsKind, { count: 10, http: 'per-agent', protocol: 'v2' }, { durationMs: 10_000 });
    await expect(agentsKind.create(v2, { ...env, agents: v2 })).resolves.toBeDefined();
  });
});

const AGENTS = 5;
let server: ReferenceServer;
let proxy: CountingProxy;

beforeAll(async () => {
  server = await startReferenceServer({ agents: AGENTS, seed: 'http-model', reportIntervalMs: 300 });
});
afterAll(() => server.close());

/** Runs the fleet through the counting proxy until every agent is up and has reported twice. */
async function runFleet(http: { http: 'shared' | 'per-agent'; httpConnections?: number }) {
  proxy = await startCountingProxy(server.url);
  const clock = manualClock();
  const metrics = recordingSink();
  const config = sectionConfig(agentsKind, { ...http, lifecycle: { startupDuration: 100 } }, { durationMs: 60_000 });
  const fleet = createAgentFleet(config, { schedule: () => AGENTS, durationMs: 60_000 });
  const stop = new AbortController();
  const running = fleet.run({
    signal: stop.signal,
    clock,
    metrics,
    target: { url: proxy.url, embedded: true },
    credentials: server.credentials,
    rng: createRng('http-model'),
    log: silentLogger,
  });
  try {
    await eventually(
      () => fleet.agents().length === AGENTS && fleet.agents().every((a) => a.connected && a.statsAccepted >= 2 && a.lifecycle.includes('ready')),
      { what: 'agents up and reporting', clock, stepMs: 25 },
    );
  } catch (error) {
    stop.abort();
    await running;
    await proxy.close();
    throw error;
  }
  return {
    metrics,
    async stop() {
      stop.abort();
      await running;
    },
  };
}

describe('HTTP connection model against the embedded server', () => {
  it('per-agent: each agent opens its own keep-alive connections (at most two) and closes them when it stops', async () => {
    const run = await runFleet({ http: 'per-agent' });
    try {
      expect(proxy.ws.opened).toBe(AGENTS);
      // A second connection only while two of the agent's requests overlap (like Go's transport).
      expect(proxy.http.opened).toBeGreaterThanOrEqual(AGENTS);
      expect(proxy.http.opened).toBeLessThanOrEqual(AGENT_CONNECTIONS * AGENTS);
      expect(run.metrics.total(METRIC.httpConnectionsOpened)).toBe(proxy.http.opened);
      // Every connection carries one agent's requests only, and every agent has one.
      const tokens = proxy.tokensByConnection();
      expect(tokens.every((t) => t.length === 1)).toBe(true);
      expect(new Set(tokens.flat()).size).toBe(AGENTS);
      const opened = proxy.http.opened;
      await run.stop();
      await eventually(() => proxy.http.closed === opened && proxy.ws.closed === AGENTS, 'every connection closed');
    } finally {
      await run.stop();
      await proxy.close();
    }
  });

  it('shared: the fleet opens at most the pool size, and counts what it opened', async () => {
    const run = await runFleet({ http: 'shared', httpConnections: 2 });
    try {
      expect(proxy.http.opened).toBeGreaterThanOrEqual(1);
      expect(proxy.http.opened).toBeLessThanOrEqual(2);
      expect(run.metrics.total(METRIC.httpConnectionsOpened)).toBe(proxy.http.opened);
      // Agents share connections: together they carried every agent's token.
      expect(new Set(proxy.tokensByConnection().flat()).size).toBe(AGENTS);
    } finally {
      await run.stop();
      await proxy.close();
    }
  });
});
