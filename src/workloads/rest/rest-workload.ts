import autocannon from 'autocannon';
import type { Workload, WorkloadContext } from '../workload.js';
import { createRequestPlan } from './request-plan.js';
import { createResponseTracker, type TrackedClient } from './response-tracker.js';
import { mixEntries, type RestConfig } from './section.js';

/** What the REST workload needs besides its scenario section. */
export interface RestRun {
  /** Per-request timeout (default 10 s); autocannon counts in whole seconds, so this is rounded
   * up to >= 1 s. The runner passes agents.requestTimeout. */
  timeoutMs?: number;
  /**
   * The run's source addresses. autocannon (9.x) opens its sockets with `net.connect(port, host)`
   * and has no local-address option, so the REST load cannot bind them: with addresses listed
   * the workload says so once. Its connections are few (`rest.connections`), far from the
   * per-address port limit the addresses are for.
   */
  sourceAddresses?: readonly string[];
}

/** How often autocannon checks its stop flag (its `sampleInt`); bounds how late a stop lands. */
const STOP_CHECK_MS = 100;
/** autocannon's "run until stopped": used when an `amount` bounds the run and our timer bounds time. */
const VERY_LONG_S = 365 * 24 * 3600;
const SLOTS = 16;

/**
 * REST load on autocannon's programmatic API (kind 'rest'): a weighted mix of the user-side
 * `{id}` routes (user token) and the agent-side `/me/*` routes (each agent's own token), each
 * request rotating through the run's agents. Every response lands in `ctx.metrics` as
 * `METRIC.request` (µs-precise latency, tag endpoint = route template), every failure as
 * `METRIC.error` (tags endpoint, class), and the X-RateLimit-* headers as gauges.
 *
 * Model `closed`: `connections` × `pipelining` requests in flight. Model `open`: autocannon's
 * `overallRate` (its own coordinated-omission correction left on) and our latency corrected the
 * same way (see response-tracker.ts). The run ends after `duration`, after `amount` requests, or
 * when `ctx.signal` aborts; in-flight requests at that moment are neither samples nor errors.
 * `config` is the validated `rest` section (the scenario schema holds its defaults and rules).
 *
 * @throws FleetsimError('usage') from `run` when an endpoint of the mix has no agent to be sent
 *   for (e.g. app-health without health-checked apps).
 */
export function createRestWorkload(config: RestConfig, options: RestRun = {}): Workload {
  const mix = mixEntries(config.mix);
  return {
    kind: 'rest',
    async run(ctx: WorkloadContext): Promise<void> {
      const target = new URL(ctx.target.url);
      if ((options.sourceAddresses?.length ?? 0) > 0) {
        ctx.log.warn(
          `rest: autocannon cannot bind a source address; its ${config.connections} connection(s) use the address the system picks, not --source-addresses`,
        );
      }
      const basePath = `${target.pathname.replace(/\/+$/, '')}/api/v2/workspaceagents`;
      const plan = createRequestPlan(mix, ctx.credentials, basePath, target.host);

      if (config.startAfter > 0) await ctx.clock.sleep(config.startAfter, ctx.signal);
      if (ctx.signal.aborted) return;

      const open = config.model === 'open';
      const tracker = createResponseTracker({
        metrics: ctx.metrics,
        plan,
        now: () => ctx.clock.now(),
        openModelPipelining: open ? config.pipelining : undefined,
      });
      // autocannon refuses more connections than requests; fewer connections is what was meant.
      const connections = config.amount ? Math.min(config.connections, config.amount) : config.connections;
      const durationS = config.duration / 1000;

      const instance = autocannon({
        url: target.origin,
        connections,
        pipelining: config.pipelining,
        // With an amount, our timer bounds the time (autocannon ignores duration then anyway).
        duration: config.amount ? VERY_LONG_S : durationS,
        amount: config.amount,
        overallRate: open ? config.rate : undefined,
        timeout: Math.max(1, Math.ceil((options.timeoutMs ?? 10_000) / 1000)),
        sampleInt: STOP_CHECK_MS,
        skipAggregateResult: true,
        // Placeholder slots: the tracker puts each request's bytes into the slot autocannon is
        // about to write (see response-tracker.ts). Several slots, because autocannon resets
        // (deep-clones) its per-client context each time it wraps around the list.
        requests: Array.from({ length: SLOTS }, () => ({})),
        setupClient: (client) => tracker.attach(client as unknown as TrackedClient),
        // Without a callback autocannon returns its Instance (an EventEmitter with stop()) made
        // thenable; the typings only describe the promise side.
      }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
      const stop = (): void => instance.stop();
      ctx.signal.addEventListener('abort', stop, { once: true });
      const timer = config.amount ? ctx.clock.setTimeout(stop, config.duration) : undefined;
      try {
        await instance;
      } finally {
        ctx.clock.clearTimeout(timer);
        ctx.signal.removeEventListener('abort', stop);
      }
    },
  };
}
