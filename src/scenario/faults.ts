/**
 * The scenario's `faults` timeline: one list holding every fault fleetsim can inject, each with
 * `at` (from the run's start) and `action`. Two families:
 *
 * - network faults, applied by the fault proxy fleetsim puts between the fleet and the target
 *   (src/runner/fault-proxy/actions.ts): latency, bandwidth, reset, blackhole, refuse,
 *   slow-close. They work against any target.
 * - embedded-server faults, which need fleetsim's own server (there is nothing to tell a real
 *   Coder): drop-agent-sockets, restart-target, revoke-tokens, restore-tokens.
 *
 * README.md ("Faults") and docs/faults.md describe each action for users.
 */
import { z } from 'zod';
import { PROXY_ACTION_KINDS, proxyActionSchema, type ProxyAction } from '../runner/fault-proxy/actions.js';
import { formatDuration as fmt, showValue } from './duration.js';
import { didYouMean } from './suggest.js';
import { duration, isObj, num, ratio, type ReportIssue } from './fields.js';

const dropAgentSockets = z.strictObject({
  at: duration,
  action: z.literal('drop-agent-sockets'),
  /** Share of the connected agents whose coordinate socket is closed. */
  fraction: ratio.default(1),
});

const restartTarget = z.strictObject({
  at: duration,
  action: z.literal('restart-target'),
  /** How long the port stays closed before the server listens again (state is kept). */
  downFor: duration.prefault('5s'),
});

const revokeTokens = z.strictObject({
  at: duration,
  action: z.literal('revoke-tokens'),
  /** Share of the provisioned agents' tokens that stop being accepted. */
  fraction: ratio.default(1),
});

const restoreTokens = z.strictObject({ at: duration, action: z.literal('restore-tokens') });

/** Actions only fleetsim's embedded server can carry out. */
export const EMBEDDED_FAULT_ACTIONS = ['drop-agent-sockets', 'restart-target', 'revoke-tokens', 'restore-tokens'] as const;
/** Every action, embedded first then network (the order of README's table). */
export const FAULT_ACTIONS: readonly string[] = [...EMBEDDED_FAULT_ACTIONS, ...PROXY_ACTION_KINDS];

/** One fault of the timeline (what users write: durations as "30s"). */
export const faultSchema = z.discriminatedUnion('action', [dropAgentSockets, restartTarget, revokeTokens, restoreTokens, ...proxyActionSchema.options], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const action = (issue.input as { action?: unknown } | undefined)?.action;
    const known = FAULT_ACTIONS.map((a) => JSON.stringify(a)).join(', ');
    if (action === undefined) return `required: "action", one of ${known}`;
    const hint = typeof action === 'string' ? didYouMean(action, FAULT_ACTIONS) : '';
    return `unknown action ${showValue(action)}${hint}; expected one of ${known}`;
  },
});

export type FaultInput = z.input<typeof faultSchema>;
/** A validated fault: `at` and windows in ms, defaults filled. */
export type ScenarioFault = z.output<typeof faultSchema>;
export type EmbeddedFault = Exclude<ScenarioFault, ProxyAction>;

const EMBEDDED = new Set<string>(EMBEDDED_FAULT_ACTIONS);
const PROXY = new Set<string>(PROXY_ACTION_KINDS);

/** True for the actions the fault proxy applies (they need the proxy in the fleet's path). */
export function isProxyFault(fault: { readonly action: string }): fault is ProxyAction {
  return PROXY.has(fault.action);
}

export function isEmbeddedFault(fault: { readonly action: string }): fault is EmbeddedFault {
  return EMBEDDED.has(fault.action);
}

/** How long a fault lasts as planned (ms): its `duration`, a restart's `downFor`, else 0 (instant). */
export function plannedLength(fault: { readonly action: string; readonly duration?: number; readonly downFor?: number }): number {
  return fault.duration ?? fault.downFor ?? 0;
}

/**
 * Cross-field rules of the faults list (half-parsed input, read defensively): embedded-only
 * actions with a real target (one issue per fault, at its path), windows inside the run,
 * restore-tokens after a revoke-tokens, restarts that do not overlap.
 */
export function faultRules(faults: unknown, durationMs: number | undefined, hasTarget: boolean, report: ReportIssue): void {
  if (!Array.isArray(faults)) return;
  let revokedBefore: number | undefined;
  let restartEnds: { at: number; end: number; index: number } | undefined;
  const ordered = faults
    .map((fault, index) => ({ fault: isObj(fault) ? fault : {}, index }))
    .sort((a, b) => (num(a.fault.at) ?? 0) - (num(b.fault.at) ?? 0) || a.index - b.index);
  for (const { fault, index } of ordered) {
    const action = typeof fault.action === 'string' ? fault.action : undefined;
    const at = num(fault.at);
    if (hasTarget && action && EMBEDDED.has(action)) {
      report(
        ['faults', index, 'action'],
        `"${action}" needs the embedded server, so it cannot go with "target": remove this fault, or use a network fault (${PROXY_ACTION_KINDS.join(', ')})`,
      );
    }
    if (at === undefined) continue;
    const lengthKey = 'downFor' in fault ? 'downFor' : 'duration';
    const length = num(fault[lengthKey]) ?? 0;
    if (durationMs !== undefined) {
      if (at >= durationMs) report(['faults', index, 'at'], `${fmt(at)} is not before the end of the run (duration ${fmt(durationMs)})`);
      else if (at + length > durationMs) {
        report(
          ['faults', index, lengthKey],
          `the fault would end at ${fmt(at + length)}, after the end of the run (duration ${fmt(durationMs)}); shorten it or start it earlier`,
        );
      }
    }
    if (action === 'revoke-tokens') revokedBefore ??= at;
    if (action === 'restore-tokens' && revokedBefore === undefined) {
      report(['faults', index], `restore-tokens at ${fmt(at)} has no revoke-tokens before it`);
    }
    if (action === 'restart-target') {
      if (restartEnds && at < restartEnds.end) {
        report(
          ['faults', index, 'at'],
          `restart-target at ${fmt(at)} starts while faults[${restartEnds.index}] (restart-target at ${fmt(restartEnds.at)}) is still down until ${fmt(restartEnds.end)}`,
        );
      }
      restartEnds = { at, end: at + length, index };
    }
  }
}

const pct = (share: number): string => `${Math.round(share * 1000) / 10}%`;
const way = (direction: string): string => (direction === 'both' ? 'both ways' : direction);

/** A fault's parameters in a few words, for `fleetsim plan` (e.g. "+200ms ±20ms both ways on 50% of connections for 20s"). */
export function describeFault(fault: ScenarioFault): string {
  const on = (fraction: number): string => (fraction === 1 ? 'on every connection' : `on ${pct(fraction)} of connections`);
  switch (fault.action) {
    case 'drop-agent-sockets':
      return `close ${pct(fault.fraction)} of the agents' coordinate sockets`;
    case 'restart-target':
      return `embedded server down for ${fmt(fault.downFor)} (every connection cut, state kept, same port)`;
    case 'revoke-tokens':
      return `${pct(fault.fraction)} of agent tokens answer 401 until restore-tokens (their sockets close)`;
    case 'restore-tokens':
      return 'every agent token accepted again';
    case 'latency':
      return `+${fault.ms}ms${fault.jitter > 0 ? ` ±${fault.jitter}ms` : ''} ${way(fault.direction)} ${on(fault.fraction)} for ${fmt(fault.duration)}`;
    case 'bandwidth':
      return `${fault.bytesPerSecond} B/s ${way(fault.direction)} ${on(fault.fraction)} for ${fmt(fault.duration)}`;
    case 'reset':
      return `RST ${on(fault.fraction)} (${fault.direction === 'both' ? 'both sides' : fault.direction})${fault.duration > 0 ? `, and new ones for ${fmt(fault.duration)}` : ''}`;
    case 'blackhole':
      return `nothing forwarded ${way(fault.direction)} ${on(fault.fraction)} for ${fmt(fault.duration)}`;
    case 'refuse':
      return `port closed, every connection reset, for ${fmt(fault.duration)}`;
    case 'slow-close':
      return `FIN held ${fault.ms}ms ${way(fault.direction)} ${on(fault.fraction)} for ${fmt(fault.duration)}`;
  }
}

/**
 * Coordinate sockets a fault is expected to close when `agents` are connected (each sends its
 * agent around the run loop again). Latency, bandwidth, blackhole and slow-close close none by
 * themselves (only if they outlast a client's timeout), so they count 0.
 */
export function expectedDrops(fault: ScenarioFault, agents: number): number {
  switch (fault.action) {
    case 'drop-agent-sockets':
    case 'revoke-tokens':
    case 'reset':
      return Math.round(agents * fault.fraction);
    case 'restart-target':
    case 'refuse':
      return agents;
    default:
      return 0;
  }
}
