import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { planCommand } from '../../src/cli/plan.js';
import { FleetsimError } from '../../src/core/errors.js';

const SMOKE = resolve(import.meta.dirname, '../../scenarios/smoke.ts');

/** Runs `fleetsim plan ...` in process through yargs and returns what it printed. */
async function runPlan(argv: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await yargs(argv)
      .command(planCommand)
      .strict()
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('fleetsim plan', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the timeline of a scenario file', async () => {
    const text = await runPlan(['plan', SMOKE]);
    expect(text).toContain('Scenario "smoke"');
    expect(text).toMatch(/ramp-up \*\s+0s\s+5s\s+0 -> 50/);
  });

  it('applies --agents, --duration and --seed, and prints JSON with --json', async () => {
    const plan = JSON.parse(await runPlan(['plan', SMOKE, '--agents', '8', '--duration', '30s', '--seed', 'x', '--json'])) as {
      peakAgents: number;
      durationMs: number;
      seed: string;
    };
    expect(plan).toMatchObject({ peakAgents: 8, durationMs: 30_000, seed: 'x' });
  });

  it('a bad override is a bad_scenario error', async () => {
    const error = await runPlan(['plan', SMOKE, '--duration', 'forever']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).issues).toEqual(['duration: expected a duration like "30s", got "forever" (units: ms, s, m, h)']);
  });
});
