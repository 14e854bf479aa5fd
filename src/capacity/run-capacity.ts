/**
 * `fleetsim capacity`: how many agents can the target take before an SLO breaks?
 *
 * Each step is one runScenario call with the agent count set (step-scenario.ts), judged on its
 * hold window (run-step.ts); search.ts picks the counts. The embedded server is started once and
 * reused by every step: steps then cost seconds less each (a server start generates fixtures and
 * identity keys), and the search sees the same thing it sees against a real Coder, which cannot
 * be restarted between steps either. What carries over from one step to the next: the agents'
 * server-side records (they re-authenticate and re-report each step), rate-limit windows (one
 * minute, per IP and path; set `server.rateLimit: -1` for capacity searches) and nothing of the
 * cost model's queue (requests of clients that went away are dropped unserved).
 *
 * The report (summary.json, summary.md, report.html, junit.xml, console) is a RunSummary of the
 * detail step's hold window (the knee step when there is one) plus the `capacity` section.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { EXIT, FleetsimError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { userInfoSecrets, withoutUserInfo } from '../core/url.js';
import type { RunSummary } from '../metrics/summary-types.js';
import { parseThreshold } from '../metrics/thresholds.js';
import type { GeneratorProbe } from '../observe/generator-probe.js';
import { writeReports } from '../reporters/index.js';
import { credentialSecrets } from '../runner/credentials-file.js';
import { prepareSourceAddresses } from '../runner/source-address-check.js';
import { startTarget, type RunTarget } from '../runner/target.js';
import { applyOverrides, validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { runCapacityStep, capacityMeta, type StepRun } from './run-step.js';
import { searchCapacity, type Resolution, type StepVerdict } from './search.js';
import { hasFaults, stepScenario, type CapacityOverrides, type StepTiming } from './step-scenario.js';
import type { CapacityResult, CapacitySummary } from './types.js';

export interface CapacityOptions {
  /** The scenario file's object as read (readScenarioFile), and its name for messages. */
  raw: unknown;
  source: string;
  /** SLO expressions (threshold grammar); empty: the scenario's own thresholds. */
  slos: readonly string[];
  from: number;
  to: number;
  factor: number;
  resolution: Resolution;
  /** The resolution as the user wrote it ("5%", "3"). */
  resolutionText: string;
  timing: StepTiming;
  overrides?: CapacityOverrides;
  /** Where the report folder goes (`<outDir>/<runId>/`). */
  outDir: string;
  signal?: AbortSignal;
  log?: Logger;
  clock?: Clock;
  /** Console output of the final table. */
  print?: (text: string) => void;
  allowSaturated?: boolean;
  /** The harness probe of each step (tests inject fakes); default the real one. */
  probe?: (stepIndex: number, agents: number) => GeneratorProbe | undefined;
}

export interface CapacityRunResult {
  summary: RunSummary;
  exitCode: number;
  reportDir: string;
  written: string[];
}

const RESULT_OUTCOME: Record<CapacityResult, RunSummary['outcome']> = {
  knee: 'passed',
  'to-passed': 'passed',
  'from-failed': 'failed',
  saturated: 'invalid',
  interrupted: 'interrupted',
  errored: 'errored',
};

export async function runCapacity(options: CapacityOptions): Promise<CapacityRunResult> {
  const clock = options.clock ?? systemClock();
  const log = options.log ?? createLogger();
  const overrides = options.overrides ?? {};
  const first = stepScenario(options.raw, options.source, options.from, options.timing, overrides);
  // Without --slo the scenario's own thresholds are the SLOs.
  const slosText = options.slos.length > 0 ? [...options.slos] : [...validateScenario(applyOverrides(options.raw, overrides), options.source).thresholds];
  if (slosText.length === 0) {
    throw new FleetsimError('usage', 'no SLO to search against', {
      hint: 'give one or more --slo, e.g. --slo "p99(POST /me/report-stats) < 200ms", or thresholds in the scenario',
    });
  }
  const slos = slosText.map((text) => parseThreshold(text));
  if (hasFaults(options.raw)) log.warn('the scenario has faults: capacity steps do not run them (each step measures steady load)');

  const runId = makeCapacityId(first.name);
  const reportDir = join(options.outDir, runId);
  const stepsDir = join(reportDir, 'steps');
  const startedAtMs = Date.now();

  // A user:password in the target URL is redacted from every log line, like the tokens.
  for (const secret of userInfoSecrets(first.target?.url)) log.addSecret(secret);
  // Checked and said once here; every step checks again quietly (run-step.ts).
  await prepareSourceAddresses(first, log);
  const target: RunTarget = await startTarget(first, options.from, log);
  for (const secret of credentialSecrets(target.credentials)) log.addSecret(secret);
  const embedded = target.target.embedded;
  let to = options.to;
  if (!embedded && target.credentials.agents.length < to) {
    to = Math.max(options.from, target.credentials.agents.length);
    log.warn(`the credentials hold ${target.credentials.agents.length} agent tokens: searching up to ${to} agents, not ${options.to}`);
  }
  const runs: StepRun[] = [];
  let outcome: Awaited<ReturnType<typeof searchCapacity>>;
  try {
    outcome = await searchCapacity({ from: options.from, to, factor: options.factor, resolution: options.resolution }, async (agents, kind) => {
      if (target.server && target.credentials.agents.length < agents) await target.server.provision(agents - target.credentials.agents.length);
      for (const secret of credentialSecrets(target.credentials)) log.addSecret(secret);
      const scenario = stepScenario(options.raw, options.source, agents, options.timing, overrides);
      const index = runs.length + 1;
      log.info(`capacity step ${index} (${kind}): ${agents} agents`);
      const run = await runCapacityStep(
        {
          reportDir,
          stepsDir,
          target,
          slos,
          timing: options.timing,
          clock,
          log,
          signal: options.signal,
          allowSaturated: options.allowSaturated,
          probe: options.probe?.(index, agents),
        },
        scenario,
        index,
        kind,
      );
      runs.push(run);
      log.info(`capacity step ${index}: ${agents} agents → ${stepLine(run)}`);
      return run.step.verdict satisfies StepVerdict;
    });
  } finally {
    await target.close().catch((error) => log.warn(`closing the target failed: ${(error as Error).message}`));
  }

  const detail = detailRun(runs, outcome.result, outcome.knee);
  const capacity: CapacitySummary = {
    slos: slosText,
    search: {
      from: options.from,
      to,
      factor: options.factor,
      resolution: options.resolutionText,
      rampMs: options.timing.rampMs,
      settleMs: options.timing.settleMs,
      holdMs: options.timing.holdMs,
      target: embedded ? 'embedded, reused across steps' : 'external',
    },
    result: outcome.result,
    knee: outcome.knee,
    firstFailing: outcome.firstFailing,
    message: resultMessage(outcome.result, outcome.knee, outcome.firstFailing, runs, { from: options.from, to }),
    ...costModel(first),
    detailStep: detail ? detail.step.index : null,
    steps: runs.map((r) => r.step),
  };
  const base = detail?.window ?? emptySummary();
  const summary: RunSummary = {
    ...base,
    outcome: RESULT_OUTCOME[outcome.result],
    meta: capacityMeta(first, runId, startedAtMs, embedded ? 'embedded' : withoutUserInfo(target.upstreamUrl)),
    thresholds: detail?.step.slos ?? [],
    capacity,
  };
  const exitCode = capacityExitCode(outcome.result, runs);
  const { written, failed } = await writeReports(summary, reportDir, { console: options.print, redact: (text) => log.redact(text) });
  for (const failure of failed) log.error(`reporter ${failure.reporter} failed: ${failure.error}`);
  if (written.length === 0) throw new FleetsimError('harness', `no report could be written under ${reportDir}`);
  return { summary, exitCode, reportDir, written };
}

/**
 * Exit codes: 0 a knee was found or `--to` passed; 10 even `--from` failed; 11 stopped by a
 * saturated harness before a conclusion; the step's own code when interrupted (129/130/143) or
 * errored (1). Usage, scenario and harness errors (2/3/4) are thrown before or instead.
 */
export function capacityExitCode(result: CapacityResult, runs: readonly StepRun[]): number {
  switch (result) {
    case 'knee':
    case 'to-passed':
      return EXIT.passed;
    case 'from-failed':
      return EXIT.thresholds;
    case 'saturated':
      return EXIT.invalid;
    case 'interrupted':
      return runs.at(-1)?.exitCode || EXIT.sigint;
    case 'errored':
      // A step that errored says why (1); the search's own step bound says nothing else.
      return runs.at(-1)?.exitCode || EXIT.bug;
  }
}

/** The step the report's tables show: the knee's passing step, else the last one. */
function detailRun(runs: readonly StepRun[], result: CapacityResult, knee: number | null): StepRun | undefined {
  if ((result === 'knee' || result === 'to-passed') && knee !== null) {
    const at = [...runs].reverse().find((r) => r.step.agents === knee && r.step.verdict === 'pass');
    if (at) return at;
  }
  return runs.at(-1);
}

function resultMessage(
  result: CapacityResult,
  knee: number | null,
  firstFailing: number | null,
  runs: readonly StepRun[],
  range: { from: number; to: number },
): string {
  const brokenAt = (n: number | null) => {
    const run = [...runs].reverse().find((r) => r.step.agents === n && r.step.verdict === 'fail');
    return run ? run.step.broken.join(', ') : 'an SLO';
  };
  const last = runs.at(-1)?.step;
  const sofar = knee === null ? 'no count passed before it' : `the knee is at least ${knee} agents`;
  switch (result) {
    case 'knee':
      return `knee: ${knee} agents meet every SLO; ${firstFailing} agents break ${brokenAt(firstFailing)}`;
    case 'to-passed':
      return `every SLO held up to --to ${range.to} agents: the knee is at least ${range.to}`;
    case 'from-failed':
      return `even --from ${range.from} agents break ${brokenAt(range.from)} (confirmed): no count passed`;
    case 'saturated':
      return `stopped at step ${last?.index} (${last?.agents} agents): the harness itself was saturated, so that step says nothing about the target; ${sofar}. Run fewer agents per process or pass --allow-saturated`;
    case 'interrupted':
      return `interrupted at step ${last?.index} (${last?.agents} agents); ${sofar}`;
    case 'errored':
      return `step ${last?.index} (${last?.agents} agents) failed as a run; ${sofar}`;
  }
}

function costModel(scenario: Scenario): Pick<CapacitySummary, 'costModel'> {
  const c = scenario.server?.capacity;
  if (!c) return {};
  const saturationRequestsPerSecond = Math.round((c.workers * 1000 * 100) / c.serviceTime) / 100;
  return {
    costModel: { serviceTimeMs: c.serviceTime, workers: c.workers, saturationRequestsPerSecond, ...(c.endpoints ? { endpoints: [...c.endpoints] } : {}) },
  };
}

/** One step's verdict in a log line: `pass · p99(POST /me/report-stats) 31.2 ms`. */
export function stepLine(run: StepRun): string {
  const s = run.step;
  const figures = s.slos.map((r) => `${r.pass ? '✓' : '✗'} ${r.expression} (observed ${r.observed ?? 'n/a'})`).join(' · ');
  if (s.verdict === 'invalid') return `INVALID: the harness was saturated (${s.harness.saturatedSeconds}/${s.harness.seconds} s)`;
  return `${s.verdict.toUpperCase()} · ${figures}`;
}

function makeCapacityId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'run';
  return `${stamp}-capacity-${slug}-${randomBytes(2).toString('hex')}`;
}

/** The summary body when no step reached its window (interrupted during the first ramp). */
function emptySummary(): RunSummary {
  return {
    schemaVersion: 1,
    outcome: 'interrupted',
    meta: { scenario: '', seed: '', target: '', startedAt: '', endedAt: '', fleetsimVersion: '', runId: '', durationMs: 0 },
    agents: { planned: 0, authenticated: 0, connected: 0, peakConnected: 0, reconnects: 0 },
    totals: { requests: 0, errors: 0, errorRate: 0 },
    endpoints: {},
    errors: [],
    timeSeries: [],
    metrics: { trends: [], counters: [], gauges: [], rates: [] },
    thresholds: [],
  };
}
