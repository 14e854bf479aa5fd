import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { METRIC, POLL_ENDPOINT } from '../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { createAgentFleet } from '../../../src/workloads/agents/fleet.js';
import { agentsKind } from '../../../src/workloads/agents/kind.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';

const AGENTS = 3;
let server: ReferenceServer;

beforeAll(async () => {
  // The simulated owner signs in 30 ms after a poll waits; each link lasts 1 ms, so every lookup
  // finds it expired and polls. (With links that outlive a few ms, an agent whose lookups keep
  // landing inside another agent's fresh link never needs to poll, and the test would hang on it.)
  server = await startReferenceServer({ agents: AGENTS, seed: 'askpass-fleet', gitAuth: { answerAfterMs: 30, linkTtlMs: 1 } });
});
afterAll(() => server.close());

describe.each([
  ['v1', POLL_ENDPOINT.gitauth],
  ['v2', POLL_ENDPOINT.externalAuth],
] as const)('agents.gitAskpass in a %s fleet', (protocol, endpoint) => {
  it('every picked agent polls and gets answered; stopping ends the run without poll errors', async () => {
    const stop = new AbortController();
    const metrics = recordingSink();
    const config = sectionConfig(
      agentsKind,
      { protocol, gitAskpass: { share: 1, every: '150ms', urls: ['https://github.com/coder/coder.git'] } },
      { durationMs: 60_000 },
    );
    const fleet = createAgentFleet(config, { schedule: () => AGENTS, durationMs: 60_000 });
    const running = fleet.run({
      signal: stop.signal,
      clock: systemClock(),
      metrics,
      target: { url: server.url, embedded: true },
      credentials: server.credentials,
      rng: createRng('askpass'),
      log: silentLogger,
    });
    try {
      await eventually(() => fleet.agents().length === AGENTS && fleet.agents().every((a) => (a.gitAskpass?.polls.answered ?? 0) >= 1), {
        what: () => `polls answered: ${JSON.stringify(fleet.agents().map((a) => a.gitAskpass?.polls))}`,
      });
    } finally {
      stop.abort();
      await running;
    }
    expect(metrics.total(METRIC.gitAuthPolls, { endpoint, outcome: 'answered' })).toBeGreaterThanOrEqual(AGENTS);
    expect(metrics.total(METRIC.gitAuthPolls, { outcome: 'error' })).toBe(0);
    expect(metrics.total(METRIC.error, { endpoint })).toBe(0);
    expect(metrics.values(METRIC.gitAuthPoll, { endpoint }).length).toBe(metrics.total(METRIC.gitAuthPolls, { outcome: 'answered' }));
    expect(fleet.agents().every((a) => a.gitAskpass?.busy === false)).toBe(true);
    await eventually(() => server.gitAuth.listening() === 0, 'no poll left on the server');
  });
});
