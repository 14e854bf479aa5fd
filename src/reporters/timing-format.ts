/**
 * Shared text for "where the time went" (src/metrics/request-timing.ts): the per-endpoint
 * queued / service / connect split, the warning when an endpoint's latency was mostly spent
 * inside fleetsim, and the REST connection model line. Every reporter renders these.
 */
import type { EndpointStats, RunSummary, TimingStats } from '../metrics/summary-types.js';
import { queuedDominates } from '../metrics/timing-summary.js';
import { fmtMs, fmtNum } from './format.js';

/** `p50 / p99 / max` of one split, or `-`. */
export function fmtTiming(t: TimingStats | undefined): string {
  if (!t) return '-';
  return `${fmtMs(t.p50)} / ${fmtMs(t.p99)} / ${fmtMs(t.max)}`;
}

/** Endpoints with a split, in the summary's order. */
export function timedEndpoints(summary: RunSummary): [string, EndpointStats][] {
  return Object.entries(summary.endpoints).filter(([, e]) => e.queued !== undefined || e.service !== undefined);
}

/** Header and rows of the split table (endpoint, queued, service, connect p50/p99/max). */
export function timingRows(summary: RunSummary): { header: string[]; rows: string[][] } | undefined {
  const timed = timedEndpoints(summary);
  if (timed.length === 0) return undefined;
  const withConnect = timed.some(([, e]) => e.connect !== undefined);
  const header = ['endpoint', 'queued p50 / p99 / max', 'service p50 / p99 / max', ...(withConnect ? ['connect p50 / p99 / max'] : [])];
  const rows = timed.map(([name, e]) => [
    (queuedDominates(e) ? '! ' : '') + name,
    fmtTiming(e.queued),
    fmtTiming(e.service),
    ...(withConnect ? [fmtTiming(e.connect)] : []),
  ]);
  return { header, rows };
}

/** One line defining the columns, for the reports. */
export const TIMING_LEGEND =
  'queued = intended start → bytes handed to the socket (inside fleetsim: dial slot, pooled connection, TCP connect of a new connection, late timer); ' +
  'service = handed to the socket → response complete (the target and the network); connect = a WebSocket dial’s TCP connect + upgrade. ' +
  'Headline latency = queued + service, from the intended start.';

/**
 * The warning, in words, when at least one endpoint's queued p99 is above its service p99
 * (and at least 1 ms), with what to change; undefined when there is none.
 */
export function queuedWarning(summary: RunSummary): string | undefined {
  const names = Object.keys(summary.endpoints).filter((n) => queuedDominates(summary.endpoints[n]!));
  if (names.length === 0) return undefined;
  const figures = names
    .slice(0, 4)
    .map((n) => {
      const e = summary.endpoints[n]!;
      return `${n} queued p99 ${fmtMs(e.queued?.p99 ?? null)} vs service p99 ${fmtMs(e.service?.p99 ?? null)}`;
    })
    .join('; ');
  const more = names.length > 4 ? ` (and ${fmtNum(names.length - 4)} more)` : '';
  return `most of this latency was spent inside fleetsim: ${figures}${more}. What to change: ${queuedAdvice(summary)}`;
}

function queuedAdvice(summary: RunSummary): string {
  const advice: string[] = [];
  const http = summary.agents.http;
  if (http?.model === 'shared') {
    advice.push(
      http.chosen === 'fd-budget'
        ? 'the agents shared one pool because one connection per agent did not fit the open-files limit: raise `ulimit -n` (then each agent gets its own connection) or raise agents.httpConnections'
        : 'the agents share one pool of agents.httpConnections connections: raise it, or set agents.http: "per-agent"',
    );
  }
  const g = summary.generator;
  if (g && (g.verdict === 'saturated' || g.eventLoopDelayMs.p99 > 20)) {
    advice.push(`the harness's event loop ran late (p99 ${fmtMs(g.eventLoopDelayMs.p99)}): run fewer agents per process (--workers N, or --shard K/N)`);
  }
  advice.push('a start-up burst queues its first requests: spread it with agents.rampUp');
  return advice.join('; ') + '.';
}

/** The REST connection model in one line, or undefined when the fleet did not record it. */
export function httpModelLine(summary: RunSummary): string | undefined {
  const http = summary.agents.http;
  if (!http) return undefined;
  const limit = http.openFilesLimit !== undefined ? ` (open-files limit ${fmtNum(http.openFilesLimit)})` : '';
  if (http.chosen === 'fd-budget') {
    return `agents.http fell back to "shared": one connection per agent did not fit the open-files limit${limit}, so the agents shared one pool and may have queued for it; raise ulimit -n for one connection per agent`;
  }
  if (http.model === 'per-agent')
    return `agents.http "per-agent"${http.chosen === 'default' ? ' (default)' : ''}: one keep-alive connection per agent, like a real fleet`;
  return `agents.http "shared": the agents share one keep-alive pool (set in the scenario)`;
}
