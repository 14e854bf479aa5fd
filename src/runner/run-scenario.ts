import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { FleetsimError } from '../core/errors.js';
import { userInfoSecrets, withoutUserInfo } from '../core/url.js';
import { createLogger, type Logger } from '../core/log.js';
import { createRng } from '../core/rng.js';
import { METRIC } from '../metrics/names.js';
import { createRecorder, type Recorder } from '../metrics/recorder.js';
import { createFaultLog } from '../metrics/fault-log.js';
import { buildSummary } from '../metrics/summary.js';
import type { MetricSink } from '../metrics/sink.js';
import type { GeneratorSummary, RunSummary } from '../metrics/summary-types.js';
import type { GeneratorProbe } from '../observe/generator-probe.js';
import { startObservation, type RunObservation } from '../observe/observe-run.js';
import { SATURATION_ADVICE } from '../observe/saturation.js';
import { evaluateThresholds, parseThreshold } from '../metrics/thresholds.js';
import { writeReports } from '../reporters/index.js';
import { planScenario, agentCountAt, type Plan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import type { WorkloadContext } from '../workloads/workload.js';
import { credentialSecrets } from './credentials-file.js';
import { startLiveProgress } from './live-progress.js';
import { untilAborted, withinGrace } from './grace.js';
import { scheduleFaultTimeline, type FaultTimeline } from './faults.js';
import { proxySummary } from './proxy-summary.js';
import { runOutcome, stopReasonOf, type StopReason } from './outcome.js';
import { watchRamp } from './ramp-watch.js';
import { prepareShardRun, type ShardRun, type ShardRunOptions } from './shard-run.js';
import { prepareSourceAddresses } from './source-address-check.js';
import { writeServerCounters } from './server-counters-file.js';
import type { ServerCounters } from '../server/counters.js';
import { startTarget, type RunTarget } from './target.js';
import { createTargetHealth, teeSink } from './target-health.js';
import { buildWorkloads } from './workloads.js';
import { FLEETSIM_VERSION } from '../version.js';

export type { StopReason } from './outcome.js';

export interface RunOptions {
  scenario: Scenario;
  /** Where run folders go (`<outDir>/<runId>/summary.json`…). */
  outDir: string;
  /** Aborting this stops the run early; its reason ('SIGINT' | 'SIGTERM' | 'SIGHUP') picks the exit code. */
  signal?: AbortSignal;
  log?: Logger;
  clock?: Clock;
  /** Print a live progress line (TTY) through this function. */
  live?: (line: string, final: boolean) => void;
  /** Console output of the final table (default: stdout). */
  print?: (text: string) => void;
  /** Watching the run: `/metrics` and the harness self-check (src/observe). */
  observe?: RunObserveOptions;
  /** Run only this shard of the fleet and write `shard-K-of-N.json` too (runner/shard-run.ts). */
  shard?: ShardRunOptions;
  /**
   * A target the caller started and keeps (`fleetsim capacity` reuses one embedded server over
   * its steps): used instead of starting one, and not closed at the end.
   */
  target?: RunTarget;
  /**
   * Called at the run's second 0 with the clock's reading then; the sink it returns also gets
   * every sample (`fleetsim capacity` judges each step on its own window from it).
   */
  tap?: (startedAtClock: number) => MetricSink;
  /** Log which source addresses are in use (default true; a `--workers` worker's parent logs it). */
  announceSourceAddresses?: boolean;
}

export interface RunObserveOptions {
  /** Serve Prometheus `/metrics` here (`--metrics-addr`); overrides the scenario's `observe.metricsAddr`. */
  metricsAddr?: string;
  /** Keep the outcome of a saturated run (`--allow-saturated`); ORed with the scenario's setting. */
  allowSaturated?: boolean;
  /** The harness probe; default the real one. Tests inject a calm or lagging fake. */
  probe?: GeneratorProbe;
  /** Called once `/metrics` listens, with its URL. */
  onListening?: (url: string) => void;
  /** Awaited after the reports are written and before `/metrics` closes (a final scrape). */
  beforeClose?: (url: string) => Promise<void>;
}

export interface RunResult {
  summary: RunSummary;
  exitCode: number;
  reportDir: string;
  written: string[];
}

/** Grace period for workloads to close their sockets after the stop signal. */
const STOP_GRACE_MS = 15_000;

/**
 * Runs one scenario end to end: start the target, start every workload under one AbortSignal,
 * stop at the end of the duration or on a signal, build the RunSummary, evaluate thresholds,
 * write every report. Network failures are samples; only config and harness failures throw.
 */
export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { scenario } = options;
  const clock = options.clock ?? systemClock();
  const log = options.log ?? createLogger();
  const plan: Plan = planScenario(scenario);
  const shard = options.shard ? prepareShardRun(scenario, plan, options.shard) : undefined;
  // A shard's slice says nothing about the run's thresholds: `fleetsim merge` judges them.
  const thresholds = shard ? [] : scenario.thresholds.map((expression) => parseThreshold(expression));
  const runId = makeRunId(scenario.name);
  const reportDir = join(options.outDir, runId);

  // Set once the target is up: the run's second 0 (and the origin of fleetsim_run_elapsed_seconds).
  const timing = { startedAtMs: 0, startedAtClock: Number.NaN };
  // /metrics comes up before the target, so a taken port fails before anything is spawned; it
  // stays up until the report is written and closes with the run, whichever way the run ends.
  const observation = await startObservation({
    metricsAddr: options.observe?.metricsAddr ?? scenario.observe?.metricsAddr,
    probe: options.observe?.probe,
    run: { scenario: scenario.name, runId, target: scenario.target ? scenario.target.url : 'embedded', version: FLEETSIM_VERSION },
    elapsedSeconds: () => (Number.isNaN(timing.startedAtClock) ? 0 : (clock.now() - timing.startedAtClock) / 1000),
    log,
  });
  try {
    if (observation.metricsUrl) options.observe?.onListening?.(observation.metricsUrl);
    const result = await runObserved(options, { clock, log, plan, thresholds, runId, reportDir, timing, observation, shard });
    if (observation.metricsUrl) await options.observe?.beforeClose?.(observation.metricsUrl);
    return result;
  } finally {
    await observation.close();
  }
}

interface RunContext {
  clock: Clock;
  log: Logger;
  plan: Plan;
  thresholds: ReturnType<typeof parseThreshold>[];
  runId: string;
  reportDir: string;
  timing: { startedAtMs: number; startedAtClock: number };
  observation: RunObservation;
  shard?: ShardRun;
}

async function runObserved(options: RunOptions, run: RunContext): Promise<RunResult> {
  const { scenario } = options;
  const { clock, log, plan, thresholds, runId, reportDir, timing, observation, shard } = run;
  const kept = options.target;
  // A user:password in the target URL is a secret like a token: every line the logger writes
  // (a stack trace quoting the URL included) has it redacted, from before the target starts.
  for (const secret of userInfoSecrets(kept?.upstreamUrl ?? scenario.target?.url)) log.addSecret(secret);
  // Before the target starts and before any traffic: an address the machine cannot bind is a usage error.
  await prepareSourceAddresses(scenario, log, { keptTargetUrl: kept?.target.url, announce: options.announceSourceAddresses });
  const target: RunTarget = kept ? { ...kept, close: async () => undefined } : await startTarget(scenario, plan.peakAgents, log, shard?.spec);
  for (const secret of credentialSecrets(target.credentials)) log.addSecret(secret);
  // The agents wanted over time: the whole fleet's, or this shard's slice of it.
  const schedule = shard?.schedule ?? ((elapsedMs: number) => agentCountAt(plan, elapsedMs));
  if (shard) {
    await shard.waitForStart(clock, options.signal, log).catch(async (error: unknown) => {
      await target.close().catch(() => undefined);
      throw error;
    });
  }

  const recorder: Recorder = createRecorder({ clock });
  const stopShardProgress = shard?.watch(recorder, clock);
  // Fault windows are stamped on the recorder's clock so they line up with its time series.
  const faultLog = createFaultLog(recorder);
  const controller = new AbortController();
  let stopReason = 'completed' as StopReason;
  const onExternalAbort = () => {
    stopReason = stopReasonOf(options.signal?.reason);
    controller.abort(stopReason);
  };
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  // "Connected at end" means at the moment the run stops, before the fleet closes its sockets;
  // the harness self-check ends there too (tearing the fleet down is not the run's load).
  controller.signal.addEventListener(
    'abort',
    () => {
      recorder.markEnd();
      observation.stopMonitor();
    },
    { once: true },
  );

  const startedAtMs = (timing.startedAtMs = Date.now());
  const startedAtClock = (timing.startedAtClock = clock.now());

  // One warning when the target stops answering mid-run, one when it is back (not one per failure).
  const health = createTargetHealth({
    target: target.upstreamUrl,
    now: () => clock.now(),
    onDown: (message) => log.warn(message),
    onUp: (message) => log.info(message),
  });
  const tapped = options.tap?.(startedAtClock);
  const rampWatched = watchRamp(recorder, shard?.slice.peakAgents ?? plan.peakAgents, () => recorder.markSteady());
  const ctx: WorkloadContext = {
    signal: controller.signal,
    clock,
    // The ramp ends when every agent of this run (or shard) finished its start-up sequence.
    metrics: observation.sink(teeSink(rampWatched, tapped ? teeSink(health, tapped) : health)),
    target: target.target,
    credentials: target.credentials,
    rng: shard ? shard.rng(createRng(scenario.seed)) : createRng(scenario.seed),
    log,
  };
  const plannedGauge = clock.every(250, () => {
    ctx.metrics.gauge(METRIC.agentsPlanned, schedule(clock.now() - startedAtClock));
  });

  let errored: unknown;
  let live: { stop(): void } | undefined;
  let faults: FaultTimeline | undefined;
  let proxyStats: Awaited<ReturnType<RunTarget['close']>>;
  let serverTotals: ServerCounters['totals'] | undefined;
  try {
    const workloads = shard ? await buildWorkloads(shard.scenario, shard.plan, target, schedule) : await buildWorkloads(scenario, plan, target);
    const endTimer = clock.setTimeout(() => controller.abort('completed'), scenario.duration);
    controller.signal.addEventListener('abort', () => clock.clearTimeout(endTimer), { once: true });
    faults = scheduleFaultTimeline({
      faults: scenario.faults,
      server: target.server,
      proxy: target.proxy,
      faultLog,
      elapsedMs: () => recorder.elapsedMs(),
      signal: controller.signal,
      log,
      clock,
    });
    if (options.live) live = startLiveProgress(recorder, () => schedule(clock.now() - startedAtClock), options.live, clock);
    controller.signal.addEventListener(
      'abort',
      () => {
        live?.stop();
        live = undefined;
        log.info(`stopping (${String(controller.signal.reason)}): closing sockets, draining, writing the report`);
      },
      { once: true },
    );
    observation.beginRun(recorder.startedAtMs);
    const via = target.proxy ? ` through the fault proxy ${withoutUserInfo(target.target.url)}` : '';
    log.info(`run ${runId} started: ${workloads.length} workload(s) for ${scenario.duration} ms against ${withoutUserInfo(target.upstreamUrl)}${via}`);
    const running = Promise.all(
      workloads.map((workload) =>
        workload.run(ctx).catch((error: unknown) => {
          errored ??= error;
          log.error(`workload ${workload.kind} failed: ${log.redact(String((error as Error)?.stack ?? error))}`);
          controller.abort('errored');
        }),
      ),
    );
    // A workload may end on its own (REST amount); the run still lasts until the duration or a
    // signal. After the stop, workloads get a bounded grace to close their sockets.
    await untilAborted(controller.signal);
    const stopped = await withinGrace(clock, running, STOP_GRACE_MS);
    if (!stopped.settled) log.warn(`some workloads did not stop within ${STOP_GRACE_MS} ms; writing the report anyway`);
  } catch (error) {
    errored = error;
    controller.abort('errored');
  } finally {
    plannedGauge.stop();
    stopShardProgress?.();
    faults?.cancel();
    live?.stop();
    options.signal?.removeEventListener('abort', onExternalAbort);
    // The embedded server's own counts, taken once the workloads stopped (server-counters.json).
    if (target.server && !kept)
      serverTotals = await target.server.counters().then(
        (c) => c.totals,
        () => undefined,
      );
    proxyStats = await target.close().catch((error) => {
      log.warn(`closing the target failed: ${(error as Error).message}`);
      return undefined;
    });
  }
  if (errored instanceof FleetsimError) throw errored;

  const allowSaturated = options.observe?.allowSaturated === true || scenario.observe?.allowSaturated === true;
  const generator: GeneratorSummary = { ...observation.stopMonitor() };
  if (generator.verdict === 'saturated' && allowSaturated) generator.saturationAllowed = true;

  const meta = {
    scenario: scenario.name,
    seed: String(scenario.seed),
    // Reports never carry a user:password the target URL may have.
    target: target.target.embedded ? 'embedded' : withoutUserInfo(target.upstreamUrl),
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: new Date().toISOString(),
    fleetsimVersion: FLEETSIM_VERSION,
    runId,
  };
  const summary = buildSummary(recorder, {
    meta,
    plan: shard?.summaryPlan ?? plan,
    agentsPlanned: shard?.slice.peakAgents ?? plan.peakAgents,
    faults: faultLog.windows(),
    generator,
  });
  // The harness's GC per second, next to the seconds whose latencies it may have stretched.
  const gcSeconds = observation.gcSeconds();
  if (gcSeconds) summary.timeSeries = gcSeconds.attachTo(summary.timeSeries);
  if (target.proxy) summary.proxy = proxySummary(proxyStats);
  summary.thresholds = evaluateThresholds(summary, thresholds);
  const { outcome, exitCode } = runOutcome({
    stopReason,
    errored: errored !== undefined,
    thresholdsFailed: summary.thresholds.some((t) => !t.pass),
    saturated: generator.verdict === 'saturated' && !allowSaturated,
  });
  summary.outcome = outcome;
  if (generator.verdict === 'saturated') {
    const figures = `${generator.saturatedSeconds}/${generator.seconds} seconds saturated (event-loop delay p99 ${generator.eventLoopDelayMs.p99} ms, CPU max ${generator.cpuPercent.max}% of one core)`;
    if (allowSaturated) log.warn(`harness saturated, outcome kept (--allow-saturated): ${figures}`);
    else log.error(`run invalid: ${figures}; ${SATURATION_ADVICE}`);
  }

  const { written, failed } = await writeReports(summary, reportDir, { console: options.print, redact: (text) => log.redact(text) });
  for (const failure of failed) log.error(`reporter ${failure.reporter} failed: ${failure.error}`);
  if (serverTotals && written.length > 0) {
    await writeServerCounters(reportDir, serverTotals).then(
      (path) => written.push(path),
      (error: unknown) => log.warn(`server-counters.json could not be written: ${(error as Error).message}`),
    );
  }
  if (shard) {
    // Without its shard file a shard's run cannot be merged: that is a harness failure (exit 4).
    try {
      written.push(await shard.write(reportDir, { recorder, ...meta, stopReason, errored: errored !== undefined, generator, faults: faultLog.windows() }));
    } catch (error) {
      throw new FleetsimError('harness', `the shard file could not be written under ${reportDir}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (written.length === 0) {
    throw new FleetsimError('harness', `no report could be written under ${reportDir}`);
  }

  return { summary, exitCode, reportDir, written };
}

export function makeRunId(scenarioName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const slug =
    scenarioName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'run';
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
}
