import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { applyOverrides, validateScenario } from '../../src/scenario/load.js';
import { formatPlan } from '../../src/scenario/plan-format.js';
import { planScenario } from '../../src/scenario/plan.js';

const base = { name: 'f', duration: '1m', agents: { count: 10 } };

function issuesOf(input: unknown): string[] {
  try {
    validateScenario(input, 'test');
  } catch (error) {
    if (error instanceof FleetsimError) return [...(error.issues ?? [])];
    throw error;
  }
  return [];
}

describe('scenario faults timeline', () => {
  it('accepts every action in one list and fills their defaults', () => {
    const s = validateScenario(
      {
        ...base,
        faults: [
          { at: '5s', action: 'drop-agent-sockets' },
          { at: '10s', action: 'restart-target' },
          { at: '20s', action: 'revoke-tokens', fraction: 0.2 },
          { at: '25s', action: 'restore-tokens' },
          { at: '30s', action: 'latency', ms: 100, duration: '5s' },
          { at: '40s', action: 'reset' },
          { at: '45s', action: 'refuse', duration: '2s' },
        ],
      },
      'test',
    );
    expect(s.faults).toEqual([
      { at: 5_000, action: 'drop-agent-sockets', fraction: 1 },
      { at: 10_000, action: 'restart-target', downFor: 5_000 },
      { at: 20_000, action: 'revoke-tokens', fraction: 0.2 },
      { at: 25_000, action: 'restore-tokens' },
      { at: 30_000, action: 'latency', ms: 100, jitter: 0, duration: 5_000, fraction: 1, direction: 'both' },
      { at: 40_000, action: 'reset', fraction: 1, duration: 0, direction: 'both' },
      { at: 45_000, action: 'refuse', duration: 2_000 },
    ]);
  });

  it('keeps every window inside the run and checks the order of tokens and restarts', () => {
    expect(
      issuesOf({
        ...base,
        faults: [
          { at: '50s', action: 'restart-target', downFor: '20s' },
          { at: '55s', action: 'blackhole', duration: '10s' },
          { at: '5s', action: 'restore-tokens' },
          { at: '10s', action: 'restart-target', downFor: '10s' },
          { at: '15s', action: 'restart-target', downFor: '1s' },
          { at: '1m', action: 'reset' },
        ],
      }),
    ).toEqual([
      'faults[2]: restore-tokens at 5s has no revoke-tokens before it',
      'faults[4].at: restart-target at 15s starts while faults[3] (restart-target at 10s) is still down until 20s',
      'faults[0].downFor: the fault would end at 1m10s, after the end of the run (duration 1m); shorten it or start it earlier',
      'faults[1].duration: the fault would end at 1m5s, after the end of the run (duration 1m); shorten it or start it earlier',
      'faults[5].at: 1m is not before the end of the run (duration 1m)',
    ]);
  });

  it('checks recovery thresholds against the scheduled actions', () => {
    expect(
      issuesOf({
        ...base,
        faults: [{ at: '10s', action: 'restart-target', downFor: '2s' }],
        thresholds: ['recovery(restart-target) < 30s', 'recovery(refuse) < 10s'],
      }),
    ).toEqual(['thresholds[1]: threshold "recovery(refuse) < 10s": recovery(refuse) names no scheduled fault; the scenario\'s faults are: restart-target']);
  });

  it("--duration rescales each fault's start and window, not a latency's delay", () => {
    const raw = {
      ...base,
      faults: [
        { at: '20s', action: 'restart-target', downFor: '10s' },
        { at: '30s', action: 'latency', ms: 200, duration: '10s' },
      ],
    };
    const s = validateScenario(applyOverrides(raw, { duration: '30s' }), 'test');
    expect(s.faults).toMatchObject([
      { at: 10_000, downFor: 5_000 },
      { at: 15_000, duration: 5_000, ms: 200 },
    ]);
  });

  it("the plan shows each fault's window, who applies it and what it does", () => {
    const s = validateScenario(
      {
        ...base,
        faults: [
          { at: '10s', action: 'restart-target', downFor: '3s' },
          { at: '30s', action: 'latency', ms: 200, jitter: 20, duration: '10s', fraction: 0.5 },
        ],
      },
      'test',
    );
    const plan = planScenario(s);
    expect(plan.faults.map((f) => [f.action, f.via, f.atMs, f.endMs, f.expectedDrops])).toEqual([
      ['restart-target', 'server', 10_000, 13_000, 10],
      ['latency', 'proxy', 30_000, 40_000, 0],
    ]);
    const text = formatPlan(plan);
    expect(text).toContain('Faults (network faults go through the fault proxy in front of the target):');
    expect(text).toContain(
      '  10s-13s     restart-target      embedded server down for 3s (every connection cut, state kept, same port) (10 agents, ~10 agent sockets drop)',
    );
    expect(text).toContain('  30s-40s     latency             +200ms ±20ms both ways on 50% of connections for 10s (10 agents)');
  });
});
