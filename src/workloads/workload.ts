import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Rng } from '../core/rng.js';
import type { MetricSink } from '../metrics/sink.js';
import type { Credentials } from '../protocol/credentials.js';

/** Where the workloads send traffic. */
export interface Target {
  /** Base URL of the deployment, e.g. `http://127.0.0.1:7080` (no trailing slash, no /api/v2). */
  url: string;
  /** True when the target is fleetsim's own embedded server. Workloads must not branch on it
   * for protocol behaviour; it exists for reporting only. */
  embedded: boolean;
  /**
   * The agent API generation this run speaks, `auto` already resolved against the target
   * (src/runner/protocol-probe.ts). Absent: v1.
   */
  protocol?: 'v1' | 'v2';
}

/** What every workload receives. One AbortSignal stops everything. */
export interface WorkloadContext {
  signal: AbortSignal;
  clock: Clock;
  metrics: MetricSink;
  target: Target;
  credentials: Credentials;
  rng: Rng;
  log: Logger;
}

/**
 * A unit of load. `run` resolves once the workload has stopped (signal aborted or its own end)
 * and has closed every socket and timer it opened. It never throws for a failed request: a
 * failure is a metric sample.
 */
export interface Workload {
  readonly kind: string;
  run(ctx: WorkloadContext): Promise<void>;
}
