import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { METRIC } from '../../src/metrics/names.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { validateScenario } from '../../src/scenario/load.js';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'fleetsim-peers-v2-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

/**
 * End to end: `agents.protocol: auto` against the embedded server resolves to v2 (buildinfo), and
 * the v2 fake agents and the v2 peers meet in its v2 coordinator. Count assertions only; the
 * exact counts are pinned by test/workloads/peers/v2/peers-v2-embedded.test.ts with a scripted
 * v2 agent. The v2 fake agent reports its Coordinate stream's open/close to the ledger
 * (`agentSocket`), so peer → agent updates count as delivered and both directions are judged
 * for loss.
 */
describe('a v2 run with peers (agents.protocol auto)', () => {
  it('resolves auto to v2 and delivers agent nodes to v2 peers through the v2 coordinator', async () => {
    const scenario = validateScenario(
      {
        name: 'peers-v2-e2e',
        seed: 'peers-v2',
        duration: '3s',
        server: { rateLimit: -1 },
        agents: { protocol: 'auto', count: 2, auth: { token: 1 } },
        peers: { perAgent: 2, updateRate: 4, agentUpdateRate: 4, jitter: 0, drainWindow: '1s', auth: 'header' },
        thresholds: ['lost == 0'],
      },
      'inline',
    );
    const lines: string[] = [];
    const result = await runScenario({ scenario, outDir: out, log: createLogger({ write: (l) => lines.push(l) }), print: () => {} });
    expect(lines.some((l) => l.includes('protocol auto → v2'))).toBe(true);
    const counters = result.summary.metrics.counters;
    const total = (name: string, direction: string) =>
      counters.filter((c) => c.name === name && c.tags.direction === direction).reduce((n, c) => n + c.value, 0);
    expect(total(METRIC.coordUpdatesDelivered, 'agent_to_peer')).toBeGreaterThan(0);
    expect(total(METRIC.coordUpdatesSent, 'peer_to_agent')).toBeGreaterThan(0);
    for (const direction of ['agent_to_peer', 'peer_to_agent']) {
      expect(total(METRIC.coordDuplicated, direction), direction).toBe(0);
      expect(total(METRIC.coordOutOfOrder, direction), direction).toBe(0);
    }
    expect(total(METRIC.coordUpdatesDelivered, 'peer_to_agent')).toBeGreaterThan(0);
    for (const direction of ['agent_to_peer', 'peer_to_agent']) expect(total(METRIC.coordLost, direction), direction).toBe(0);
    // Peer sockets were v2 sessions: nothing went through the v1 client route.
    expect(counters.filter((c) => c.name === METRIC.error && String(c.tags.endpoint).includes('coordinate'))).toEqual([]);
  }, 30_000);
});
