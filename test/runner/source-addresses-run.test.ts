import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import type { RunTarget } from '../../src/runner/target.js';
import { validateScenario } from '../../src/scenario/load.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';

/**
 * `sourceAddresses` end to end on loopback: an in-process reference server (so its counters can
 * be read) records the remote address of every TCP connection and of each agent's coordinate or
 * /me/rpc socket; every socket fleetsim opened must come from a listed address, agent i from
 * entry i mod n.
 */
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const AGENTS = 6;

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'fleetsim-source-addresses-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

async function runAgainst(server: ReferenceServer, sections: Record<string, unknown>): Promise<string[]> {
  const scenario = validateScenario({ name: 'source-addresses', seed: 'src', duration: '2s', sourceAddresses: ADDRESSES.join(','), ...sections }, 'inline');
  const target: RunTarget = {
    target: { url: server.url, embedded: true },
    upstreamUrl: server.url,
    credentials: server.credentials,
    close: async () => undefined,
  };
  const lines: string[] = [];
  await runScenario({ scenario, outDir: out, target, log: createLogger({ write: (l) => lines.push(l) }), print: () => {} });
  return lines;
}

function expectSpread(server: ReferenceServer): void {
  const counters = server.counters();
  server.credentials.agents.slice(0, AGENTS).forEach((agent, i) => {
    expect(counters.agents[agent.id]?.remoteAddress, `agent ${i}`).toBe(ADDRESSES[i % ADDRESSES.length]);
  });
  // Every connection (REST, coordinate, peers, PTY) came from a listed address, each used.
  const seen = counters.totals.connectionsByRemoteAddress;
  expect(Object.keys(seen).sort()).toEqual(ADDRESSES);
  for (const address of ADDRESSES) expect(seen[address]).toBeGreaterThan(0);
}

describe.runIf(process.platform === 'linux')('a run with sourceAddresses', () => {
  it('v1 agents (per-agent REST), peers and PTY sessions bind the addresses round-robin', async () => {
    const server = await createReferenceServer({ agents: AGENTS, seed: 'src', rateLimit: -1, protocols: ['v1'] });
    try {
      const lines = await runAgainst(server, {
        agents: { count: AGENTS, rampUp: '0s', http: 'per-agent', protocol: 'v1' },
        peers: { perAgent: 1, updateRate: 2 },
        pty: { sessionsPerAgent: 1, bytesPerSecond: 256 },
      });
      expect(lines.filter((l) => l.includes('source addresses:'))).toHaveLength(1);
      expect(lines.join('\n')).toContain('127.0.0.2, 127.0.0.3, 127.0.0.4 (3 addresses) round-robin');
      expectSpread(server);
      expect(server.counters().totals.clientCoordinateOpened).toBeGreaterThan(0);
      expect(server.counters().totals.ptyOpened).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('the shared REST pool becomes one pool per address', async () => {
    const server = await createReferenceServer({ agents: AGENTS, seed: 'src', rateLimit: -1, protocols: ['v1'] });
    try {
      await runAgainst(server, { agents: { count: AGENTS, rampUp: '0s', http: 'shared', httpConnections: 3, protocol: 'v1' } });
      expectSpread(server);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('v2 agents bind the addresses for their /me/rpc sockets', async () => {
    const server = await createReferenceServer({ agents: AGENTS, seed: 'src', rateLimit: -1 });
    try {
      await runAgainst(server, { agents: { count: AGENTS, rampUp: '0s', protocol: 'v2' } });
      expectSpread(server);
      expect(server.counters().totals.v2.rpcOpened).toBeGreaterThanOrEqual(AGENTS);
    } finally {
      await server.close();
    }
  }, 30_000);
});
