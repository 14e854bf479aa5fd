import type { Logger } from '../core/log.js';
import type { MetricSink } from '../metrics/sink.js';
import type { GeneratorSummary } from '../metrics/summary-types.js';
import { startGeneratorMonitor, type GeneratorMonitor } from './generator-monitor.js';
import type { GeneratorProbe } from './generator-probe.js';
import { parseListenAddress, startMetricsServer, type MetricsServer } from './metrics-server.js';
import { createPromFeed, type PromFeed } from './prom-feed.js';
import { createRunRegistry, type RegistrySources } from './prom-registry.js';
import { SATURATION_ADVICE } from './saturation.js';
import { teeSink } from './tee-sink.js';

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
  readonly monitor: GeneratorMonitor;
  /** Ends the self-check (call when the run stops, before teardown) and returns its figures. */
  stopMonitor(): GeneratorSummary;
  /** Stops the self-check if still running and closes the metrics server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the harness self-check and, when an address is given, the `/metrics` server. Call it
 * just before the workloads start; call `stopMonitor()` at the stop signal and `close()` after the
 * report is written, so a scraper sees the final counts.
 */
export async function startObservation(options: ObserveOptions): Promise<RunObservation> {
  const { log } = options;
  let warned = false;
  const monitor = startGeneratorMonitor({
    probe: options.probe,
    intervalMs: options.intervalMs,
    onSecond: (second) => {
      if (!second.saturated || warned) return;
      warned = true;
      log.warn(
        `harness saturated in second ${second.index} (event-loop delay p99 ${second.eventLoopDelayMs.p99.toFixed(1)} ms, ` +
          `CPU ${second.cpuPercent.toFixed(0)}% of one core): if this persists the run is invalid; ${SATURATION_ADVICE}`,
      );
    },
  });
  let feed: PromFeed | undefined;
  let server: MetricsServer | undefined;
  if (options.metricsAddr !== undefined) {
    try {
      const address = parseListenAddress(options.metricsAddr);
      feed = createPromFeed();
      const registry = createRunRegistry({ feed, generator: monitor, run: options.run, elapsedSeconds: options.elapsedSeconds });
      server = await startMetricsServer(registry, address);
      log.info(`serving Prometheus metrics at ${server.url}`);
    } catch (error) {
      monitor.stop();
      throw error;
    }
  }
  return {
    sink: (primary) => (feed ? teeSink(primary, feed) : primary),
    metricsUrl: server?.url,
    monitor,
    stopMonitor: () => monitor.stop(),
    async close() {
      monitor.stop();
      await server?.close();
    },
  };
}
