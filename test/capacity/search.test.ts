import { describe, expect, it } from 'vitest';
import { capacityExitCode } from '../../src/capacity/run-capacity.js';
import { MAX_STEPS, nextCount, searchCapacity, tolerance, type StepVerdict } from '../../src/capacity/search.js';
import type { CapacityStepKind } from '../../src/capacity/types.js';

/** A target whose true knee is `knee`: counts above it fail. `script` overrides single runs, in order. */
function target(knee: number, script: Record<number, StepVerdict[]> = {}) {
  const calls: { agents: number; kind: CapacityStepKind }[] = [];
  const runStep = async (agents: number, kind: CapacityStepKind): Promise<StepVerdict> => {
    calls.push({ agents, kind });
    const scripted = script[agents]?.shift();
    return scripted ?? (agents <= knee ? 'pass' : 'fail');
  };
  return { calls, runStep };
}

const options = { from: 10, to: 1000, factor: 1.5, resolution: { kind: 'relative', value: 0.05 } as const };

describe('capacity search', () => {
  it('steps up by the factor, confirms the first failure, then bisects to the resolution', async () => {
    const t = target(47);
    const out = await searchCapacity(options, t.runStep);
    expect(out.result).toBe('knee');
    expect(t.calls.slice(0, 6)).toEqual([
      { agents: 10, kind: 'step' },
      { agents: 15, kind: 'step' },
      { agents: 23, kind: 'step' },
      { agents: 35, kind: 'step' },
      { agents: 53, kind: 'step' },
      { agents: 53, kind: 'confirm' },
    ]);
    expect(t.calls.slice(6).every((c) => c.kind === 'bisect')).toBe(true);
    // Within the resolution of the true knee, and never above it.
    expect(out.knee).toBeLessThanOrEqual(47);
    expect(47 - out.knee!).toBeLessThanOrEqual(tolerance(options.resolution, out.knee!));
    expect(out.firstFailing! - out.knee!).toBeLessThanOrEqual(tolerance(options.resolution, out.knee!));
  });

  it('finds the exact knee with an absolute resolution of 1', async () => {
    for (const knee of [10, 11, 29, 100, 999]) {
      const out = await searchCapacity({ ...options, resolution: { kind: 'absolute', value: 1 } }, target(knee).runStep);
      expect(out).toMatchObject({ result: 'knee', knee, firstFailing: knee + 1 });
    }
  });

  it('a failure that does not confirm counts as a pass and stepping goes on', async () => {
    const t = target(47, { 23: ['fail', 'pass'] });
    const out = await searchCapacity(options, t.runStep);
    expect(t.calls.slice(2, 5)).toEqual([
      { agents: 23, kind: 'step' },
      { agents: 23, kind: 'confirm' },
      { agents: 35, kind: 'step' },
    ]);
    expect(out.result).toBe('knee');
  });

  it('reports from-failed when even --from fails twice', async () => {
    const t = target(5);
    const out = await searchCapacity(options, t.runStep);
    expect(out).toMatchObject({ result: 'from-failed', knee: null, firstFailing: 10 });
    expect(t.calls).toEqual([
      { agents: 10, kind: 'step' },
      { agents: 10, kind: 'confirm' },
    ]);
    expect(capacityExitCode(out.result, [])).toBe(10);
  });

  it('reports to-passed when --to meets the SLOs', async () => {
    const t = target(5000);
    const out = await searchCapacity({ ...options, to: 40 }, t.runStep);
    expect(out).toMatchObject({ result: 'to-passed', knee: 40, firstFailing: null });
    expect(t.calls.map((c) => c.agents)).toEqual([10, 15, 23, 35, 40]);
    expect(capacityExitCode(out.result, [])).toBe(0);
  });

  it('stops at once on a saturated harness (invalid), keeping the passing count as a lower bound', async () => {
    const t = target(1000, { 23: ['invalid'] });
    const out = await searchCapacity(options, t.runStep);
    expect(out).toMatchObject({ result: 'saturated', knee: 15, firstFailing: null });
    expect(t.calls.map((c) => c.agents)).toEqual([10, 15, 23]);
    expect(capacityExitCode(out.result, [])).toBe(11);
  });

  it('stops on invalid during the confirmation and during bisection too', async () => {
    expect((await searchCapacity(options, target(20, { 23: ['fail', 'invalid'] }).runStep)).result).toBe('saturated');
    const bisecting = target(40, { 44: ['invalid'] });
    const out = await searchCapacity(options, bisecting.runStep);
    expect(bisecting.calls.at(-1)).toEqual({ agents: 44, kind: 'bisect' });
    expect(out).toMatchObject({ result: 'saturated', knee: 35, firstFailing: 53 });
  });

  it('stops on an interrupted step', async () => {
    const out = await searchCapacity(options, target(1000, { 15: ['interrupted'] }).runStep);
    expect(out).toMatchObject({ result: 'interrupted', knee: 10 });
  });

  it('steps by at least one agent and never past --to', () => {
    expect(nextCount(1, 1.1, 100)).toBe(2);
    expect(nextCount(10, 1.5, 100)).toBe(15);
    expect(nextCount(90, 1.5, 100)).toBe(100);
  });

  it('is bounded even for a step function that never converges', async () => {
    let n = 0;
    const out = await searchCapacity({ ...options, from: 1, to: 10 ** 9, factor: 1.000001 }, async () => {
      n++;
      return 'pass';
    });
    expect(n).toBeLessThanOrEqual(MAX_STEPS);
    expect(out.result).toBe('errored');
  });
});
