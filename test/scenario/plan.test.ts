import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { agentCountAt, formatPlan, planScenario } from '../../src/scenario/plan.js';

const phased = validateScenario(
  {
    name: 'phased',
    description: 'up, up more, down',
    seed: 3,
    duration: '70s',
    agents: {
      phases: [
        { name: 'warm', duration: '10s', to: 10 },
        { name: 'surge', duration: '20s', to: 50 },
        { name: 'cool', duration: '20s', to: 20 },
      ],
      auth: { token: 3, aws: 1 },
    },
    peers: { perAgent: 2, updateRate: 1 },
    rest: { mix: { 'GET /{id}': 3, 'GET /me/metadata': 1 }, model: 'open', rate: 50, startAfter: '10s', duration: '40s' },
    faults: [{ at: '35s', action: 'drop-agent-sockets', fraction: 0.5 }],
    thresholds: ['error_rate < 1%', 'lost == 0'],
  },
  'phased',
);

describe('planScenario: explicit phases', () => {
  const plan = planScenario(phased);

  it('lays the phases end to end and holds the last count to the end', () => {
    expect(plan.phases).toEqual([
      { name: 'warm', startMs: 0, endMs: 10_000, from: 0, to: 10, implicit: false },
      { name: 'surge', startMs: 10_000, endMs: 30_000, from: 10, to: 50, implicit: false },
      { name: 'cool', startMs: 30_000, endMs: 50_000, from: 50, to: 20, implicit: false },
      { name: 'hold', startMs: 50_000, endMs: 70_000, from: 20, to: 20, implicit: true },
    ]);
  });

  it('agentCountAt interpolates in whole agents', () => {
    const at = (ms: number) => agentCountAt(plan, ms);
    expect([at(-5), at(0), at(999), at(1_000), at(5_000), at(9_999), at(10_000)]).toEqual([0, 0, 0, 1, 5, 9, 10]);
    expect([at(20_000), at(29_999), at(30_000)]).toEqual([30, 49, 50]);
    // Falling ramp: an agent stops only once the line has passed below its number.
    expect([at(30_001), at(30_666), at(30_667), at(40_000), at(50_000)]).toEqual([50, 50, 49, 35, 20]);
    expect([at(69_999), at(70_000), at(1e9)]).toEqual([20, 20, 20]);
  });

  it('totals: peak, starts, agent-seconds, peers, auth shares', () => {
    expect(plan.peakAgents).toBe(50);
    expect(plan.agentStarts).toBe(50);
    // 10s*5 + 20s*30 + 20s*35 + 20s*20
    expect(plan.agentSeconds).toBe(50 + 600 + 700 + 400);
    expect(plan.peers).toEqual({ perAgent: 2, peak: 100, updateRate: 1 });
    expect(plan.auth).toEqual({ token: 0.75, aws: 0.25 });
    expect(plan.seed).toBe('3');
    expect(plan.target).toEqual({ kind: 'embedded', reportIntervalMs: 600_000, rateLimit: 512 });
  });

  it('faults carry the planned agents at their time', () => {
    expect(plan.faults).toEqual([
      {
        atMs: 35_000,
        endMs: 35_000,
        action: 'drop-agent-sockets',
        via: 'server',
        detail: "close 50% of the agents' coordinate sockets",
        agentsAt: 43,
        expectedDrops: 22,
      },
    ]);
  });

  it('REST window and open-model volume', () => {
    expect(plan.rest).toEqual({
      startMs: 10_000,
      endMs: 50_000,
      model: 'open',
      connections: 10,
      pipelining: 1,
      rate: 50,
      expectedRequests: 2_000,
      mix: [
        { endpoint: 'GET /{id}', share: 0.75 },
        { endpoint: 'GET /me/metadata', share: 0.25 },
      ],
    });
  });

  it('expected agent traffic: run-loop passes include fault reconnects', () => {
    const count = (endpoint: string) => plan.agentTraffic.find((v) => v.endpoint === endpoint);
    expect(count('POST /me/version')).toEqual({ endpoint: 'POST /me/version', count: 72, approximate: true });
    expect(count('POST /aws-instance-identity')?.count).toBe(18);
    expect(count('POST /azure-instance-identity')).toBeUndefined();
    expect(count('POST /me/report-lifecycle')?.count).toBe(100);
    // 50 immediate posts + 1750 agent-seconds / 600 s
    expect(count('POST /me/report-stats')?.count).toBe(53);
    expect(count('agent node updates')?.count).toBe(58);
    expect(count('peer node updates')?.count).toBe(3_500);
    expect(count('GET /{id}/coordinate')?.count).toBe(100);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('planScenario: implicit ramp', () => {
  it('ramps up, holds and ramps down', () => {
    const s = validateScenario({ name: 'r', duration: '1m', agents: { count: 30, rampUp: '15s', rampDown: '15s' } }, 'r');
    const plan = planScenario(s);
    expect(plan.phases).toEqual([
      { name: 'ramp-up', startMs: 0, endMs: 15_000, from: 0, to: 30, implicit: true },
      { name: 'hold', startMs: 15_000, endMs: 45_000, from: 30, to: 30, implicit: true },
      { name: 'ramp-down', startMs: 45_000, endMs: 60_000, from: 30, to: 0, implicit: true },
    ]);
    expect([0, 500, 7_500, 15_000, 30_000, 45_000, 52_500, 59_999, 60_000].map((t) => agentCountAt(plan, t))).toEqual([0, 1, 15, 30, 30, 30, 15, 1, 0]);
    expect(plan.agentSeconds).toBe(225 + 900 + 225);
    expect(plan.rest).toBeUndefined();
  });

  it('without ramps the fleet starts at once', () => {
    const plan = planScenario(validateScenario({ name: 'r', duration: '10s', agents: { count: 4 } }, 'r'));
    expect(plan.phases).toEqual([{ name: 'hold', startMs: 0, endMs: 10_000, from: 4, to: 4, implicit: true }]);
    expect(agentCountAt(plan, 0)).toBe(4);
    expect(plan.agentStarts).toBe(4);
    expect(plan.agentTraffic.find((v) => v.endpoint === 'GET /me/coordinate')?.count).toBe(4);
  });

  it('a closed REST model without rate or amount has no volume; a remote target hides its credentials', () => {
    const s = validateScenario(
      { name: 'c', duration: '10s', target: { url: 'https://u:secret@coder.example.com/', credentials: 'c.json' }, rest: { mix: { 'GET /{id}': 1 } } },
      'c',
    );
    const plan = planScenario(s);
    expect(plan.rest?.expectedRequests).toBeUndefined();
    expect(plan.target).toEqual({ kind: 'remote', url: 'https://coder.example.com' });
    expect(formatPlan(plan)).not.toContain('secret');
    expect(formatPlan(plan)).toContain('volume unknown (closed model');
  });
});

describe('formatPlan', () => {
  const text = formatPlan(planScenario(phased));

  it('shows the header, every phase, a chart, traffic, REST, faults and thresholds', () => {
    expect(text).toContain('Scenario "phased": up, up more, down');
    expect(text).toContain('duration 1m10s, seed "3", target embedded server (report interval 10m, rate limit 512/min)');
    expect(text).toMatch(/warm\s+0s\s+10s\s+0 -> 10/);
    expect(text).toMatch(/surge\s+10s\s+30s\s+10 -> 50/);
    expect(text).toMatch(/cool\s+30s\s+50s\s+50 -> 20/);
    expect(text).toMatch(/hold \*\s+50s\s+1m10s\s+20\n/);
    expect(text).toMatch(/ {2}50 \|.*#/);
    expect(text).toContain('Peers: 2 per agent (peak 100), 1 node updates/s each');
    expect(text).toMatch(/POST \/me\/report-stats\s+~53\s+one at start/);
    expect(text).toContain('REST (open model, 10 connections, pipelining 1, 50 req/s): 10s -> 50s, 2000 requests');
    expect(text).toContain('mix: GET /{id} 75%, GET /me/metadata 25%');
    expect(text).toContain("  35s         drop-agent-sockets  close 50% of the agents' coordinate sockets (43 agents, ~22 agent sockets drop)");
    expect(text).toMatch(/\^ {2}\^ = fault\n/);
    expect(text).toContain('Thresholds:\n  error_rate < 1%\n  lost == 0\n');
  });

  it('draws the ramp: the chart rises left to right during the surge', () => {
    const rows = text.split('\n').filter((line) => /^ {2}[ \d]{2} \|/.test(line));
    expect(rows).toHaveLength(6);
    const firstFilled = (line: string) => line.indexOf('#');
    // The top row (the peak) starts later than the bottom row.
    expect(firstFilled(rows[0]!)).toBeGreaterThan(firstFilled(rows[5]!));
  });
});
