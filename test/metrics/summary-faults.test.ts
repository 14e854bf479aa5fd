import { describe, expect, it } from 'vitest';
import { createFaultLog } from '../../src/metrics/fault-log.js';
import { ENDPOINT } from '../../src/metrics/names.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { recoveryThresholdProblems } from '../../src/scenario/threshold-check.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { FAULTED_META, faultedRun, faultedSummary, handFedSummary } from './fixtures.js';

describe('faults in the summary', () => {
  it('has no faults section when the caller passes none', () => {
    expect('faults' in handFedSummary()).toBe(false);
  });

  it('reports each fault with its recovery, reconnect peak and errors, from a recorder', () => {
    const s = faultedSummary();
    expect(s.faults).toHaveLength(2);
    const [drop, restart] = s.faults!;
    expect(drop).toMatchObject({
      action: 'drop-agent-sockets',
      at: 10_500,
      endedAt: 10_500,
      recoveredAfterMs: 3_500,
      peakReconnectsPerSecond: 50,
      errors: [{ endpoint: ENDPOINT.agentCoordinate, class: 'reset', count: 100 }],
      baseline: { connected: 100, source: 'window' },
    });
    expect(drop!.baseline.p99Ms).toBeCloseTo(10, 0);
    expect(restart).toMatchObject({
      action: 'restart-target',
      at: 20_000,
      endedAt: 21_000,
      recoveredAfterMs: null,
      peakReconnectsPerSecond: 0,
      errors: [{ endpoint: ENDPOINT.reportStats, class: 'refused', count: 5 }],
      baseline: { connected: 100, source: 'window' },
    });
    // The per-second series carries what recovery read.
    expect(s.timeSeries[11]).toMatchObject({ connected: 50, reconnects: 50 });
    expect(s.timeSeries[11]!.agentP99Ms).toBeCloseTo(300, -1);
  });

  it('passes recovery options through', () => {
    const { recorder, faults } = faultedRun();
    const s = buildSummary(recorder, { meta: FAULTED_META, agentsPlanned: 100, faults, recovery: { connectedRatio: 0.5, p99Factor: 40 } });
    // Half the fleet and p99 under 40 × 10 ms is enough: back in second 11 and, for the
    // restart, with 60 of 100 agents in second 21.
    expect(s.faults!.map((f) => f.recoveredAfterMs)).toEqual([12_000 - 10_500, 22_000 - 21_000]);
  });
});

describe('recovery thresholds', () => {
  const s = faultedSummary();
  const one = (expression: string) => evaluateThresholds(s, [parseThreshold(expression)])[0]!;

  it('parses recovery with and without an action, in ms', () => {
    expect(parseThreshold('recovery(restart-target) < 30s')).toEqual({
      expression: 'recovery(restart-target) < 30s',
      metric: { kind: 'recovery', action: 'restart-target' },
      op: '<',
      value: 30_000,
      unit: 'ms',
    });
    expect(parseThreshold(' recovery <= 500 ').metric).toEqual({ kind: 'recovery' });
    expect(() => parseThreshold('recovery(Restart Target) < 30s')).toThrow(/column 10: expected a fault action in lower-case kebab-case/);
    expect(() => parseThreshold('recovery() < 30s')).toThrow(/recovery\(\) needs a fault action/);
    expect(() => parseThreshold('recovery(latency) < 5%')).toThrow(/recovery is a duration: use ms or s \(e.g. 30s\)/);
  });

  it('passes with the worst recovery time observed', () => {
    expect(one('recovery(drop-agent-sockets) < 30s')).toEqual({ expression: 'recovery(drop-agent-sockets) < 30s', observed: 3_500, pass: true });
  });

  it('fails when a fault of that action never recovered, saying so', () => {
    expect(one('recovery(restart-target) < 30s')).toEqual({
      expression: 'recovery(restart-target) < 30s',
      observed: null,
      pass: false,
      detail: 'not recovered (1 of 1 restart-target fault)',
    });
    expect(one('recovery < 3600s')).toMatchObject({ observed: null, pass: false, detail: 'not recovered (1 of 2 faults)' });
  });

  it('fails when no fault of that action ran', () => {
    expect(one('recovery(blackhole) < 30s')).toMatchObject({ observed: null, pass: false, detail: 'no blackhole fault in this run' });
    expect(evaluateThresholds(handFedSummary(), [parseThreshold('recovery < 30s')])[0]).toMatchObject({ pass: false, detail: 'no fault in this run' });
  });

  it('flags, before a run, recovery thresholds that name no scheduled fault', () => {
    const expressions = ['recovery(restart-target) < 30s', 'error_rate < 1%', 'recovery(latency) < 5s', 'not a threshold', 'recovery < 1s'];
    expect(recoveryThresholdProblems(expressions, ['restart-target', 'restart-target'])).toEqual([
      { index: 2, message: 'threshold "recovery(latency) < 5s": recovery(latency) names no scheduled fault; the scenario\'s faults are: restart-target' },
    ]);
    expect(recoveryThresholdProblems(['recovery < 1s'], [])).toEqual([
      { index: 0, message: 'threshold "recovery < 1s": recovery needs at least one fault; the scenario has no faults' },
    ]);
  });
});

describe('createFaultLog', () => {
  it('stamps windows on the recorder clock and ends open faults at the end mark', () => {
    // Elapsed time set by hand (it steps back once: the log needs no monotonic clock).
    let now = 0;
    let end: number | undefined;
    const log = createFaultLog({ elapsedMs: () => now, endElapsedMs: () => end });
    now = 5_000;
    const stop = log.begin('latency');
    now = 4_000; // windows come back in order of start
    log.instant('drop-agent-sockets');
    now = 7_000;
    stop();
    now = 8_000;
    stop(); // ignored
    log.begin('blackhole');
    now = 9_500;
    expect(log.windows()).toEqual([
      { action: 'drop-agent-sockets', atMs: 4_000, endedAtMs: 4_000 },
      { action: 'latency', atMs: 5_000, endedAtMs: 7_000 },
      { action: 'blackhole', atMs: 8_000, endedAtMs: 9_500 },
    ]);
    end = 9_000;
    expect(log.windows()[2]).toEqual({ action: 'blackhole', atMs: 8_000, endedAtMs: 9_000 });
  });
});
