/**
 * When is the harness itself the bottleneck?
 *
 * Node runs fleetsim's agents, peers and REST client on one JavaScript thread. When that thread
 * is busy, timers fire late and responses wait in the socket buffers, so every latency fleetsim
 * measures grows by the harness's own queueing: the figures then describe fleetsim, not the
 * target. The rule:
 *
 * - a sampled second is **saturated** when the harness's event-loop delay p99 in that second is
 *   above 50 ms, or the process used at least 95 % of one CPU core in it (one thread: 100 % of
 *   one core is the ceiling, so 95 % means it had no headroom left);
 * - a run is **saturated** when more than 10 % of its sampled seconds were saturated.
 *
 * A saturated run's outcome is `invalid` (exit code 11) whatever its thresholds said, unless
 * `--allow-saturated` is given. A short hiccup (a GC pause, the ramp's first second) stays under
 * the 10 % budget on any run longer than ten seconds.
 */
export const SATURATION_RULE = {
  /** Per-second event-loop delay p99 above this (ms) marks the second saturated. */
  eventLoopP99Ms: 50,
  /** Per-second process CPU at or above this (% of one core) marks the second saturated. */
  cpuPercent: 95,
  /** A run is saturated when saturated seconds exceed this fraction of its sampled seconds. */
  maxSaturatedFraction: 0.1,
} as const;

/** The rule in one sentence, for reports and messages. */
export const SATURATION_RULE_TEXT =
  `a second is saturated when the harness's event-loop delay p99 > ${SATURATION_RULE.eventLoopP99Ms} ms ` +
  `or its CPU >= ${SATURATION_RULE.cpuPercent}% of one core; a run is saturated when more than ` +
  `${SATURATION_RULE.maxSaturatedFraction * 100}% of its seconds were`;

/** What to do about it, for the console, the reports and the log. */
export const SATURATION_ADVICE =
  'the harness was saturated, so its latencies describe fleetsim rather than the target: run fewer agents per process ' +
  '(lower agents.count, or split the fleet: `--workers N` on this machine, `--shard K/N` + `fleetsim merge` across machines), ' +
  'or pass --allow-saturated to keep the outcome anyway (the report is marked)';

export function isSaturatedSecond(s: { eventLoopDelayMs: { p99: number }; cpuPercent: number }): boolean {
  return s.eventLoopDelayMs.p99 > SATURATION_RULE.eventLoopP99Ms || s.cpuPercent >= SATURATION_RULE.cpuPercent;
}

/** The run's verdict from its counts: saturated when strictly more than 10 % of seconds were. */
export function saturationVerdict(saturatedSeconds: number, seconds: number): 'ok' | 'saturated' {
  if (seconds <= 0) return 'ok';
  return saturatedSeconds > seconds * SATURATION_RULE.maxSaturatedFraction ? 'saturated' : 'ok';
}
