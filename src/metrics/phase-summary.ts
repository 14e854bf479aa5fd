import { METRIC } from './names.js';
import { PHASES, type Phase, type PhaseTrend } from './phase-stats.js';
import type { Recorder } from './recorder-types.js';
import type { EndpointStats, LatencyStats, PhaseSummary, RunPhases } from './summary-types.js';

const UNTAGGED = '(untagged)';
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Latency statistics of several trend parts (summary.ts `latencyStats`, passed in to share it). */
export type LatencyOf = (parts: readonly PhaseTrend[]) => LatencyStats;

/**
 * Where each phase began and ended, ms since second 0: ramp from 0 to `markSteady()` (to the end
 * when the ramp never ended), steady from there to `markEnd()`, drain from there to now (the
 * summary's build: the workloads have closed). An unmarked end means the run was never stopped
 * (a tool's summary): steady then lasts until now and drain is empty.
 */
export function phaseBounds(recorder: Recorder): Record<Phase, { from: number; to: number }> {
  const now = Math.round(recorder.elapsedMs());
  const end = Math.min(now, Math.round(recorder.endElapsedMs() ?? now));
  const steady = Math.min(end, Math.round(recorder.steadyElapsedMs() ?? end));
  return { ramp: { from: 0, to: steady }, steady: { from: steady, to: end }, drain: { from: end, to: Math.max(end, now) } };
}

/**
 * The run's `endpoints` table per phase (same shape; `rate` over the phase's own length). Only
 * endpoints with requests or errors in a phase appear in it. Undefined when the recorder cannot
 * split by phase (an older shard encoding was merged in).
 */
export function buildPhases(recorder: Recorder, latencyOf: LatencyOf): RunPhases | undefined {
  if (!recorder.phased()) return undefined;
  const bounds = phaseBounds(recorder);
  const out = {} as RunPhases;
  PHASES.forEach((phase, index) => {
    const { from, to } = bounds[phase];
    const seconds = (to - from) / 1000;
    const parts = new Map<string, PhaseTrend[]>();
    for (const s of recorder.trendSeries(METRIC.request)) {
      const part = s.phases?.byPhase[index];
      if (!part || part.count === 0) continue;
      const endpoint = s.tags.endpoint ?? UNTAGGED;
      const list = parts.get(endpoint);
      if (list) list.push(part);
      else parts.set(endpoint, [part]);
    }
    const errors = new Map<string, number>();
    for (const s of recorder.counterSeries(METRIC.error)) {
      const n = s.phases?.[index] ?? 0;
      if (n === 0) continue;
      const endpoint = s.tags.endpoint ?? UNTAGGED;
      errors.set(endpoint, (errors.get(endpoint) ?? 0) + n);
    }
    const endpoints: Record<string, EndpointStats> = {};
    for (const endpoint of [...new Set([...parts.keys(), ...errors.keys()])].sort()) {
      const stats = latencyOf(parts.get(endpoint) ?? []);
      endpoints[endpoint] = { ...stats, errors: errors.get(endpoint) ?? 0, rate: seconds > 0 ? round2(stats.count / seconds) : 0 };
    }
    const summary: PhaseSummary = { from, to, endpoints };
    out[phase] = summary;
  });
  return out;
}
