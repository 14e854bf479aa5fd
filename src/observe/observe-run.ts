import type { Logger } from '../core/log.js';
import type { MetricSink } from '../metrics/sink.js';
import type { GeneratorSummary } from '../metrics/summary-types.js';
import { startGeneratorMonitor, type GeneratorMonitor, type GeneratorSecond } from './generator-monitor.js';
import type { GcSeconds } from './gc-seconds.js';
import type { GeneratorProbe } from './generator-probe.js';
import { parseListenAddress, startMetricsServer, type MetricsServer } from './metrics-server.js';
import type { PromFeed } from './prom-feed.js';
import type { RegistrySources } from './prom-registry.js';
import { SATURATION_ADVICE, saturationVerdict } from './saturation.js';

/** No live warning before this many sampled seconds: early on one bad second is already > 10 %. */
const LIVE_WARNING_AFTER_SECONDS = 10;
import { teeSink } from '../metrics/tee-sink.js';

export interface ObserveOptions {
  /** Serve `/metrics` here for the run (`--metrics-addr`, scenario `observe.metricsAddr`). */
  metricsAddr?: string;
  /** Harness probe; default the real one (perf_hooks + process.cpuUsage). Tests inject a fake. */
  probe?: GeneratorProbe;
  /** Sampling interval of the self-check, ms (default 1000). */
  intervalMs?: number;
  run: NonNullable<RegistrySources['run']>;
  /** Seconds since the run started. */
  elapsedSeconds: () => number;
  log: Logger;
}

/** Everything a run needs from src/observe, started together and stopped in order. */
export interface RunObservation {
  /** The run's sink for workloads: `primary` teed into the live feed when metrics are served. */
  sink(primary: MetricSink): MetricSink;
  /** `http://host:port/metrics` while serving, else undefined. */
  readonly metricsUrl: string | undefined;
  /**
   * Starts the harness self-check: call it when the workloads start. `originMs` (epoch ms) is
   * second 0 of the GC series: pass the recorder's start so it lines up with the time series.
   * Idempotent.
   */
  beginRun(originMs?: number): void;
  /**
   * Ends the self-check (call when the run stops, before teardown, so closing thousands of
   * sockets is not judged) and returns its figures. Idempotent; before `beginRun()` it returns
   * an empty, ok section.
   */
  stopMonitor(): GeneratorSummary;
  /** The run's GC pauses by second (from `beginRun`'s origin); undefined before `beginRun()` or
   * when the probe does not observe GC. Complete once `stopMonitor()` has run. */
  gcSeconds(): GcSeconds | undefined;
  /** Ends the self-check if still running and closes the metrics server. Idempotent. */
  close(): Promise<void>;
}

const NOT_SAMPLED: GeneratorSummary = {
  eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
  cpuPercent: { mean: 0, max: 0 },
  maxRssBytes: 0,
  seconds: 0,
  saturatedSeconds: 0,
  verdict: 'ok',
};

/**
 * Starts the `/metrics` server when an address is given (before the target, so a taken port
 * fails the run before anything is spawned). Then: `beginRun()` when the workloads start,
 * `stopMonitor()` at the stop signal, `close()` after the report is written, so a scraper sees
 * the final counts.
 */
export async function startObservation(options: ObserveOptions): Promise<RunObservation> {
  const { log } = options;
  let monitor: GeneratorMonitor | undefined;
  let stopped: GeneratorSummary | undefined;
  let warned = false;
  // Single saturated seconds (a GC pause, the ramp's busiest second) are within the rule's budget
  // and only logged at debug; the warning comes once the run as a whole is over the limit.
  const onSecond = (second: GeneratorSecond): void => {
    if (!second.saturated) return;
    const gc = second.gcMaxPauseMs > 0 ? `, GC paused ${second.gcPauseMs.toFixed(0)} ms (longest ${second.gcMaxPauseMs.toFixed(0)} ms)` : '';
    const figures = `event-loop delay p99 ${second.eventLoopDelayMs.p99.toFixed(1)} ms, CPU ${second.cpuPercent.toFixed(0)}% of one core${gc}`;
    log.debug(`harness saturated in second ${second.index} (${figures})`);
    const totals = monitor?.totals();
    if (warned || !totals || totals.sampledSeconds < LIVE_WARNING_AFTER_SECONDS) return;
    if (saturationVerdict(totals.saturatedSeconds, totals.sampledSeconds) !== 'saturated') return;
    warned = true;
    log.warn(
      `the harness is saturated: ${totals.saturatedSeconds} of ${totals.sampledSeconds} seconds so far (last: ${figures}); ` +
        `unless it recovers the run will be invalid: ${SATURATION_ADVICE}`,
    );
  };
  const generator = {
    latest: () => monitor?.latest(),
    totals: () => monitor?.totals() ?? { sampledSeconds: 0, saturatedSeconds: 0, cpuSeconds: 0, gcPauseMsByKind: {}, gcPausesByKind: {} },
  };

  let feed: PromFeed | undefined;
  let server: MetricsServer | undefined;
  if (options.metricsAddr !== undefined) {
    const address = parseListenAddress(options.metricsAddr);
    // prom-client and the feed are loaded only when /metrics is served.
    const [{ createPromFeed }, { createRunRegistry }] = await Promise.all([import('./prom-feed.js'), import('./prom-registry.js')]);
    feed = createPromFeed();
    const run = { ...options.run, target: withoutSecrets(options.run.target) };
    const registry = createRunRegistry({ feed, generator, run, elapsedSeconds: options.elapsedSeconds });
    server = await startMetricsServer(registry, address);
    log.info(`serving Prometheus metrics at ${server.url}`);
  }
  const stopMonitor = (): GeneratorSummary => {
    if (!monitor) return (stopped ??= NOT_SAMPLED);
    return (stopped ??= monitor.stop());
  };
  return {
    sink: (primary) => (feed ? teeSink(primary, feed) : primary),
    metricsUrl: server?.url,
    beginRun(originMs) {
      if (monitor || stopped) return;
      monitor = startGeneratorMonitor({ probe: options.probe, intervalMs: options.intervalMs, onSecond, runSeconds: options.elapsedSeconds, originMs });
    },
    stopMonitor,
    gcSeconds: () => monitor?.gcSeconds(),
    async close() {
      stopMonitor();
      await server?.close();
    },
  };
}

/** A target URL without userinfo, query or fragment: `/metrics` is not redacted like the log. */
function withoutSecrets(target: string): string {
  try {
    const url = new URL(target);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return target === 'embedded' ? target : 'target';
  }
}
