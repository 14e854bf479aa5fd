import { describe, expect, it } from 'vitest';
import { runMain } from '../cli/cli-io.js';

const SMOKE = 'scenarios/smoke.ts';

describe('fleetsim plan', () => {
  it('prints the timeline of a scenario file', async () => {
    const { code, stdout } = await runMain(['plan', SMOKE]);
    expect(code).toBe(0);
    expect(stdout).toContain('Scenario "smoke"');
    expect(stdout).toMatch(/ramp-up \*\s+0s\s+5s\s+0 -> 50/);
  });

  it('applies --agents, --duration and --seed, and prints JSON with --json', async () => {
    const { code, stdout } = await runMain(['plan', SMOKE, '--agents', '8', '--duration', '30s', '--seed', 'x', '--json']);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as { peakAgents: number; durationMs: number; seed: string };
    expect(plan).toMatchObject({ peakAgents: 8, durationMs: 30_000, seed: 'x' });
  });

  it('a bad --duration is a usage error (exit 2) that names the flag', async () => {
    const { code, stdout, stderr } = await runMain(['plan', SMOKE, '--duration', 'forever']);
    expect(code).toBe(2);
    expect(stderr).toContain('--duration: expected a duration like "30s", got "forever" (units: ms, s, m, h)');
    expect(stdout).toBe('');
  });
});
