import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { validateScenario } from '../../src/scenario/load.js';
import type { FaultInput } from '../../src/scenario/faults.js';

/**
 * Each embedded and network fault end to end: a small fleet on loopback against the embedded
 * server, one short run per fault, judged on the run's own summary (errors by class, fault
 * windows and recovery, connected agents at the end).
 */
let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'fleetsim-faults-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const AGENTS = 6;

async function run(name: string, duration: string, faults: FaultInput[], thresholds: string[] = []) {
  const scenario = validateScenario(
    {
      name,
      seed: name,
      duration,
      server: { reportInterval: '1s', rateLimit: -1, heartbeat: '1s', inactiveTimeout: '3s' },
      agents: { count: AGENTS, rampUp: '500ms', auth: { token: 1 }, nodeUpdateInterval: '1s' },
      faults,
      thresholds,
      // A busy test machine may saturate the harness; the outcome here is about the faults.
      observe: { allowSaturated: true },
    },
    name,
  );
  const lines: string[] = [];
  const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
  const result = await runScenario({ scenario, outDir: out, log, print: () => {} });
  return { ...result, lines };
}

const classes = (summary: RunSummary): Set<string> => new Set(summary.errors.map((e) => e.class));

describe('faults through the runner (embedded server, loopback)', () => {
  it('restart-target: the fleet is cut off, every agent reconnects, recovery is measured', async () => {
    // A long tail after the restart: recovery needs 3 calm seconds, which a busy machine delays.
    const { summary, exitCode, lines } = await run(
      'restart',
      '12s',
      [{ at: '3s', action: 'restart-target', downFor: '1s' }],
      ['recovery(restart-target) < 8s'],
    );
    expect(summary.outcome).not.toBe('errored');
    expect(summary.faults).toHaveLength(1);
    const fault = summary.faults![0]!;
    expect(fault.action).toBe('restart-target');
    expect(fault.endedAt - fault.at).toBeGreaterThanOrEqual(1_000);
    expect(fault.recoveredAfterMs).not.toBeNull();
    expect(summary.agents.reconnects).toBeGreaterThanOrEqual(AGENTS);
    expect(summary.agents.connected).toBe(AGENTS);
    expect([...classes(summary)].some((c) => c === 'refused' || c === 'reset' || c === 'ws_close_1006')).toBe(true);
    expect(exitCode).toBe(0);
    expect(lines.some((l) => /fault restart-target started at .*connection\(s\) cut/.test(l))).toBe(true);
    expect(lines.some((l) => /fault restart-target ended at .*listening again/.test(l))).toBe(true);
  });

  it('revoke-tokens: 401s until restore-tokens, then the fleet recovers', async () => {
    const { summary, lines } = await run('revoke', '11s', [
      { at: '3s', action: 'revoke-tokens', fraction: 0.5 },
      { at: '4s', action: 'restore-tokens' },
    ]);
    expect(classes(summary).has('http_401')).toBe(true);
    expect(summary.faults?.map((f) => f.action)).toEqual(['revoke-tokens']);
    const fault = summary.faults![0]!;
    expect(fault.endedAt).toBeGreaterThan(fault.at);
    expect(fault.errors.some((e) => e.class === 'http_401')).toBe(true);
    // The fleet is back: every agent connected and no more failures in the last seconds. (The
    // p99 half of `recoveredAfterMs` is left to the restart test: this run's tail is short.)
    expect(summary.agents.connected).toBe(AGENTS);
    expect(summary.timeSeries.slice(-2).map((p) => p.errors)).toEqual([0, 0]);
    expect(lines.some((l) => /fault revoke-tokens started at .*3 agent token\(s\) revoked/.test(l))).toBe(true);
    expect(lines.some((l) => /fault revoke-tokens ended at .*restore-tokens/.test(l))).toBe(true);
  });

  it('a fault that never recovers: recoveredAfterMs null and its recovery threshold fails (exit 10)', async () => {
    const { summary, exitCode } = await run('no-recovery', '7s', [{ at: '3s', action: 'revoke-tokens', fraction: 1 }], ['recovery(revoke-tokens) < 30s']);
    expect(summary.faults?.[0]?.recoveredAfterMs).toBeNull();
    expect(summary.thresholds[0]).toMatchObject({ expression: 'recovery(revoke-tokens) < 30s', pass: false, observed: null });
    expect(exitCode).toBe(10);
  });

  it('network faults through the proxy: refuse and reset show as refused/reset errors, the fleet reconnects', async () => {
    const { summary, lines } = await run('proxy', '10s', [
      { at: '3s', action: 'refuse', duration: '1s' },
      { at: '6s', action: 'reset' },
    ]);
    expect(summary.meta.target).toBe('embedded');
    expect(summary.faults?.map((f) => f.action)).toEqual(['refuse', 'reset']);
    const seen = classes(summary);
    expect(seen.has('refused') || seen.has('reset')).toBe(true);
    expect(summary.agents.reconnects).toBeGreaterThanOrEqual(2 * AGENTS);
    expect(summary.agents.connected).toBe(AGENTS);
    expect(summary.proxy).toMatchObject({ placement: 'child-process' });
    expect(summary.proxy!.peakTargetOpen).toBeGreaterThanOrEqual(AGENTS);
    expect(summary.proxy!.refused + summary.proxy!.reset).toBeGreaterThanOrEqual(2 * AGENTS);
    expect(lines.some((l) => /fault proxy \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+ in front of http:\/\/127\.0\.0\.1:\d+/.test(l))).toBe(true);
    expect(lines.some((l) => /fault refuse ended at/.test(l))).toBe(true);
  });
});
