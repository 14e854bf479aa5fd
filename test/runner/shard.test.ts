import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { FleetsimError } from '../../src/core/errors.js';
import type { Credentials } from '../../src/protocol/credentials.js';
import {
  globalAgentIndex,
  parseShard,
  restShare,
  shardAgentCount,
  shardCredentials,
  shardRng,
  shardSchedule,
  shardScenario,
  shardSlice,
} from '../../src/runner/shard.js';
import { parseStartAt } from '../../src/runner/start-at.js';
import { validateScenario } from '../../src/scenario/load.js';
import { agentCountAt, planScenario } from '../../src/scenario/plan.js';
import { createReferenceServer } from '../../src/server/reference-server.js';

/** Rises, falls and rises again, with a REST load whose parts do not divide evenly. */
const scenario = validateScenario(
  {
    name: 'shards',
    seed: 'shard-seed',
    duration: '20s',
    agents: {
      count: 23,
      phases: [
        { duration: '4s', to: 23 },
        { duration: '3s', to: 23 },
        { duration: '4s', to: 5 },
        { duration: '5s', to: 17 },
      ],
    },
    rest: { mix: { 'GET /me/metadata': 1 }, model: 'open', connections: 5, rate: 30, amount: 1001 },
  },
  'test',
);
const plan = planScenario(scenario);
const COUNTS = [1, 2, 3, 4, 7, 30];

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('--shard K/N', () => {
  it('parses K/N with K from 0 and refuses K >= N, N < 1 and other text', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(usageMessage(() => parseShard('4/4'))).toBe('--shard 4/4: K must be less than N (shards are numbered 0 to 3)');
    expect(usageMessage(() => parseShard('0/0'))).toBe('--shard 0/0: N must be at least 1');
    expect(usageMessage(() => parseShard('1-4'))).toBe('--shard must be K/N (shard K of N, K counted from 0), got "1-4"');
    expect(usageMessage(() => parseShard('-1/4'))).toMatch(/^--shard must be K\/N/);
  });

  it('the shards of a seeded scenario are the one-process fleet, agent for agent, at every moment', () => {
    for (const count of COUNTS) {
      const schedules = Array.from({ length: count }, (_, index) => shardSchedule(plan, { index, count }));
      for (let ms = 0; ms <= plan.durationMs; ms += 25) {
        const whole = agentCountAt(plan, ms);
        // The global indices each shard has up at this moment, together: exactly 0 … whole-1.
        const up: number[] = [];
        schedules.forEach((schedule, index) => {
          for (let local = 0; local < schedule(ms); local++) up.push(globalAgentIndex({ index, count }, local));
        });
        expect(up.sort((a, b) => a - b)).toEqual(Array.from({ length: whole }, (_, i) => i));
      }
      const slices = Array.from({ length: count }, (_, index) => shardSlice(plan, scenario, { index, count }));
      expect(slices.reduce((n, s) => n + s.agentStarts, 0)).toBe(plan.agentStarts);
      expect(slices.reduce((n, s) => n + s.peakAgents, 0)).toBe(plan.peakAgents);
    }
  });

  it('deals each agent to shard i mod N', () => {
    expect(shardAgentCount({ index: 0, count: 3 }, 7)).toBe(3); // 0, 3, 6
    expect(shardAgentCount({ index: 1, count: 3 }, 7)).toBe(2); // 1, 4
    expect(shardAgentCount({ index: 2, count: 3 }, 2)).toBe(0);
    expect(globalAgentIndex({ index: 2, count: 3 }, 4)).toBe(14);
  });

  it('splits the REST load so that the shards add up to the scenario', () => {
    const rest = scenario.rest!;
    for (const count of COUNTS) {
      const shares = Array.from({ length: count }, (_, index) => restShare(rest, { index, count }));
      const present = shares.filter((s) => s !== null);
      expect(present.reduce((n, s) => n + s.connections, 0)).toBe(rest.connections);
      expect(present.reduce((n, s) => n + s.amount!, 0)).toBe(rest.amount);
      expect(present.reduce((n, s) => n + s.rate!, 0)).toBeCloseTo(rest.rate!, 9);
      expect(present).toHaveLength(Math.min(count, rest.connections));
      for (let index = 0; index < count; index++) {
        const sliced = shardScenario(scenario, shardSlice(plan, scenario, { index, count }));
        expect(sliced.rest?.connections).toBe(shares[index]?.connections);
      }
    }
  });

  it("maps a shard agent's random stream to its global index; other streams are unchanged", () => {
    const rng = createRng('seed');
    const shard = shardRng(rng, { index: 1, count: 3 });
    expect(shard.fork('agent-2').next()).toBe(rng.fork('agent-7').next());
    expect(shard.fork('agent-0').seed).toBe('seed/agent-1');
    expect(shard.fork('peer/abc/0').seed).toBe('seed/peer/abc/0');
    expect(shardRng(rng, { index: 0, count: 1 })).toBe(rng);
  });

  it('gives a shard its slice of a credentials file, in order', () => {
    const credentials = { url: 'http://x', userToken: 'u', agents: Array.from({ length: 7 }, (_, i) => ({ id: `a${i}` })) } as unknown as Credentials;
    expect(shardCredentials(credentials, { index: 1, count: 3 }).agents.map((a) => a.id)).toEqual(['a1', 'a4']);
    expect(shardCredentials(credentials, { index: 0, count: 1 })).toBe(credentials);
  });

  it("an embedded server of a shard provisions exactly that shard's agents of the one-process fleet", async () => {
    const whole = await createReferenceServer({ agents: 7, seed: 'fx', identity: false });
    const part = await createReferenceServer({
      agents: shardAgentCount({ index: 2, count: 3 }, 7),
      seed: 'fx',
      identity: false,
      agentSlice: { index: 2, count: 3 },
    });
    try {
      expect(part.credentials.agents).toEqual([whole.credentials.agents[2], whole.credentials.agents[5]]);
      expect(part.credentials.userToken).toBe(whole.credentials.userToken);
    } finally {
      await Promise.all([whole.close(), part.close()]);
    }
  });
});

describe('--start-at', () => {
  const now = Date.parse('2030-01-02T15:00:00Z');
  it('takes RFC 3339 with a zone, within the next 24 h', () => {
    expect(parseStartAt('2030-01-02T15:04:05Z', now)).toBe(Date.parse('2030-01-02T15:04:05Z'));
    expect(parseStartAt('2030-01-02T17:04:05.5+02:00', now)).toBe(Date.parse('2030-01-02T15:04:05.500Z'));
  });
  it('refuses the past, more than 24 h ahead, and times without a zone', () => {
    expect(usageMessage(() => parseStartAt('2030-01-02T14:59:59Z', now))).toBe(
      '--start-at 2030-01-02T14:59:59Z is in the past (now is 2030-01-02T15:00:00.000Z)',
    );
    expect(usageMessage(() => parseStartAt('2030-01-03T15:00:01Z', now))).toBe(
      '--start-at 2030-01-03T15:00:01Z is more than 24 h ahead (now is 2030-01-02T15:00:00.000Z)',
    );
    expect(usageMessage(() => parseStartAt('2030-01-02T15:04:05', now))).toBe('--start-at must be an RFC 3339 time with a zone, got "2030-01-02T15:04:05"');
    expect(usageMessage(() => parseStartAt('tomorrow', now))).toMatch(/^--start-at must be an RFC 3339/);
  });
});
