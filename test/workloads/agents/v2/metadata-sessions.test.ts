import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/log.js';
import { createRng } from '../../../../src/core/rng.js';
import { DEFAULT_AGENT_METADATA } from '../../../../src/server/options.js';
import type { ReferenceServer, ReferenceServerOptions } from '../../../../src/server/reference-server.js';
import { createAgentFleet } from '../../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../../src/workloads/agents/kind.js';
import { sectionConfig } from '../../../../src/workloads/kind.js';
import { eventually } from '../../../helpers/eventually.js';
import { startReferenceServer } from '../../../helpers/loopback.js';
import { recordingSink } from '../../../helpers/sink.js';

const AGENTS = 3;
let server: ReferenceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A v2 fleet against a fresh server until `done(server)` holds; resolves once everything is closed. */
async function runFleet(serverOptions: ReferenceServerOptions, apiVersion: string | undefined, done: (s: ReferenceServer) => boolean): Promise<void> {
  const s = (server = await startReferenceServer({ agents: AGENTS, seed: 'v2-metadata', reportIntervalMs: 100, ...serverOptions }));
  const stop = new AbortController();
  const config = sectionConfig(agentsKind, { protocol: 'v2' }, { durationMs: 60_000 });
  const fleet = createAgentFleet(config, { schedule: () => AGENTS, durationMs: 60_000, ...(apiVersion ? { apiVersion } : {}) });
  const running = fleet.run({
    signal: stop.signal,
    clock: systemClock(),
    metrics: recordingSink(),
    target: { url: s.url, embedded: true },
    credentials: s.credentials,
    rng: createRng('v2-metadata'),
    log: silentLogger,
  });
  try {
    await eventually(() => done(s), {
      what: () => JSON.stringify(Object.values(s.counters().agents).map((a) => [a.v2.metadataByKey, a.v2.lastSessionCounts])),
    });
  } finally {
    stop.abort();
    await running;
  }
}

const agentsOf = (s: ReferenceServer) => Object.values(s.counters().agents);

describe('v2 manifest metadata', () => {
  it('the default descriptions reach every agent, which reports each key', async () => {
    const keys = DEFAULT_AGENT_METADATA.map((d) => d.key);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    await runFleet({}, undefined, (s) => agentsOf(s).length === AGENTS && agentsOf(s).every((a) => keys.every((k) => (a.v2.metadataByKey[k] ?? 0) >= 1)));
  });

  it('configured descriptions are reported again at their intervals', async () => {
    const metadata = [
      { key: 'load', displayName: 'Load', script: 'cat /proc/loadavg', intervalSeconds: 1, timeoutSeconds: 1 },
      { key: 'disk', displayName: 'Disk', script: 'df -h /', intervalSeconds: 1, timeoutSeconds: 2 },
    ];
    await runFleet(
      { metadata },
      undefined,
      (s) => agentsOf(s).length === AGENTS && agentsOf(s).every((a) => (a.v2.metadataByKey.load ?? 0) >= 2 && (a.v2.metadataByKey.disk ?? 0) >= 2),
    );
    for (const a of agentsOf(server!)) expect(Object.keys(a.v2.metadataByKey).sort()).toEqual(['disk', 'load']);
  });
});

describe('v2 stats session counts', () => {
  const total = (m: Record<string, number>) => Object.values(m).reduce((n, v) => n + v, 0);

  it('fills the per-kind session fields (one session per connection), without the map before API 2.11', async () => {
    await runFleet({ metadata: [] }, undefined, (s) => agentsOf(s).length === AGENTS && agentsOf(s).every((a) => a.v2.lastSessionCounts !== undefined));
    for (const a of agentsOf(server!)) {
      const counts = a.v2.lastSessionCounts!;
      expect(total(counts.fields)).toBeGreaterThanOrEqual(1);
      expect(total(counts.fields)).toBeLessThanOrEqual(3);
      expect(counts.map).toEqual({});
    }
  });

  it('also sends the session_counts map when speaking API 2.11', async () => {
    await runFleet({ metadata: [] }, '2.11', (s) => agentsOf(s).length === AGENTS && agentsOf(s).every((a) => a.v2.lastSessionCounts !== undefined));
    for (const a of agentsOf(server!)) {
      const { fields, map } = a.v2.lastSessionCounts!;
      expect(total(map)).toBe(total(fields));
      for (const [kind, n] of Object.entries(map)) expect(fields[kind]).toBe(n);
    }
  });
});
