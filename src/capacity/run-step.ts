/**
 * Runs one capacity step: the step scenario through runScenario (its own full report goes under
 * `steps/`), against the target the search keeps, with a window tap; then the SLOs are judged on
 * the hold window's summary.
 */
import { relative } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { buildSummary } from '../metrics/summary.js';
import type { RunSummary, ThresholdResult } from '../metrics/summary-types.js';
import { evaluateThresholds, type Threshold } from '../metrics/thresholds.js';
import type { GeneratorProbe } from '../observe/generator-probe.js';
import { runScenario } from '../runner/run-scenario.js';
import type { RunTarget } from '../runner/target.js';
import type { Scenario } from '../scenario/schema.js';
import { FLEETSIM_VERSION } from '../version.js';
import type { StepTiming } from './step-scenario.js';
import type { CapacityStep, CapacityStepKind, CapacityVerdict } from './types.js';
import { createStepWindow } from './window.js';

export interface StepRun {
  step: CapacityStep;
  /** The hold window as a RunSummary (thresholds = the SLOs); undefined when the step never reached it. */
  window: RunSummary | undefined;
  /** runScenario's exit code (for interrupted/errored steps). */
  exitCode: number;
}

export interface StepContext {
  reportDir: string;
  stepsDir: string;
  target: RunTarget;
  slos: readonly Threshold[];
  timing: StepTiming;
  clock: Clock;
  log: Logger;
  signal?: AbortSignal;
  allowSaturated?: boolean;
  probe?: GeneratorProbe;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

export async function runCapacityStep(ctx: StepContext, scenario: Scenario, index: number, kind: CapacityStepKind): Promise<StepRun> {
  const agents = scenario.agents.count;
  const { rampMs, settleMs, holdMs } = ctx.timing;
  const window = createStepWindow(ctx.clock, rampMs + settleMs, rampMs + settleMs + holdMs);
  const startedAt = new Date().toISOString();
  const result = await runScenario({
    scenario,
    outDir: ctx.stepsDir,
    signal: ctx.signal,
    log: ctx.log,
    clock: ctx.clock,
    print: () => {},
    observe: { allowSaturated: ctx.allowSaturated ? true : undefined, probe: ctx.probe },
    target: ctx.target,
    // runCapacity said which source addresses the fleet binds; once per search, not per step.
    announceSourceAddresses: false,
    tap: (startedAtClock) => window.tap(startedAtClock),
  });
  const whole = result.summary;
  const measured = window.finish();
  let summary: RunSummary | undefined;
  let slos: ThresholdResult[];
  if (measured) {
    summary = buildSummary(measured.recorder, {
      meta: {
        ...whole.meta,
        startedAt: new Date(measured.startedAtMs).toISOString(),
        endedAt: new Date(measured.endedAtMs).toISOString(),
      },
      plan: whole.plan,
      agentsPlanned: agents,
      generator: whole.generator,
    });
    slos = evaluateThresholds(summary, ctx.slos);
    summary.thresholds = slos;
  } else {
    slos = ctx.slos.map((t) => ({ expression: t.expression, observed: null, pass: false, detail: 'the step stopped before its hold window' }));
  }
  const verdict: CapacityVerdict =
    whole.outcome === 'invalid'
      ? 'invalid'
      : whole.outcome === 'interrupted'
        ? 'interrupted'
        : whole.outcome === 'errored'
          ? 'errored'
          : slos.every((s) => s.pass)
            ? 'pass'
            : 'fail';
  if (summary) summary.outcome = verdict === 'pass' ? 'passed' : verdict === 'fail' ? 'failed' : whole.outcome;
  const g = whole.generator;
  const seconds = summary ? summary.meta.durationMs / 1000 : 0;
  const step: CapacityStep = {
    index,
    kind,
    agents,
    verdict,
    slos,
    broken: slos.filter((s) => !s.pass).map((s) => s.expression),
    requestsPerSecond: summary && seconds > 0 ? round2(summary.totals.requests / seconds) : 0,
    errorRate: summary ? summary.totals.errorRate : 0,
    connected: summary ? summary.agents.connected : 0,
    harness: {
      verdict: g?.verdict ?? 'ok',
      saturatedSeconds: g?.saturatedSeconds ?? 0,
      seconds: g?.seconds ?? 0,
      cpuMaxPercent: g?.cpuPercent.max ?? 0,
      eventLoopP99Ms: g?.eventLoopDelayMs.p99 ?? 0,
    },
    report: relative(ctx.reportDir, result.reportDir),
    startedAt,
  };
  return { step, window: summary, exitCode: result.exitCode };
}

/** Meta of the capacity report: the whole search, under its own run id. */
export function capacityMeta(scenario: Scenario, runId: string, startedAtMs: number, target: string): RunSummary['meta'] {
  const endedAtMs = Date.now();
  return {
    scenario: scenario.name,
    seed: String(scenario.seed),
    target,
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    fleetsimVersion: FLEETSIM_VERSION,
    runId,
    durationMs: endedAtMs - startedAtMs,
  };
}
