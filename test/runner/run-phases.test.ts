import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { METRIC } from '../../src/metrics/names.js';
import { PHASES } from '../../src/metrics/phases.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { validateScenario } from '../../src/scenario/load.js';
import { calmProbe } from '../observe/fake-probe.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * End to end against the embedded server: every agent's first way up counts once
 * (agents_startup_done), the runner ends the ramp when the last one did, and the phases
 * partition the run's requests.
 */
describe.each(['v1', 'v2'] as const)('a %s run split by phase', (protocol) => {
  it('ends the ramp once every planned agent started up; the phases add up to the run', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'fleetsim-phases-'));
    dirs.push(outDir);
    const scenario = validateScenario(
      {
        name: 'phases-test',
        seed: 'phases',
        duration: '2s',
        server: { reportInterval: '500ms', rateLimit: -1 },
        agents: { protocol, count: 3, rampUp: '300ms', auth: { token: 1 }, lifecycle: { startupDuration: '100ms' } },
        thresholds: ['count{phase:steady} > 0'],
      },
      'test',
    );
    const { summary } = await runScenario({ scenario, outDir, log: createLogger({ level: 'silent' }), observe: { probe: calmProbe() } });
    const startups = summary.metrics.counters.filter((c) => c.name === METRIC.agentsStartupDone).reduce((n, c) => n + c.value, 0);
    expect(startups).toBe(3);
    const phases = summary.phases!;
    // The last agent starts at the end of the 300 ms ramp-up, so the ramp lasts at least that.
    expect(phases.ramp.to).toBeGreaterThanOrEqual(300);
    expect(phases.steady.from).toBe(phases.ramp.to);
    expect(phases.steady.to).toBeGreaterThan(phases.steady.from);
    expect(phases.drain.from).toBe(phases.steady.to);
    expect(summary.thresholds).toEqual([expect.objectContaining({ expression: 'count{phase:steady} > 0', pass: true })]);
    for (const [endpoint, run] of Object.entries(summary.endpoints)) {
      const parts = PHASES.map((p) => phases[p].endpoints[endpoint]);
      expect(parts.reduce((n, e) => n + (e?.count ?? 0), 0)).toBe(run.count);
      expect(parts.reduce((n, e) => n + (e?.errors ?? 0), 0)).toBe(run.errors);
    }
  });
});
