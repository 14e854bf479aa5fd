import { FleetsimError } from '../core/errors.js';
import { errorRate } from './error-rate.js';
import { PHASES, type Phase } from './phases.js';
import type { EndpointStats, LatencyStats, RunSummary, ThresholdResult } from './summary-types.js';

/**
 * Thresholds: pass/fail conditions on a finished run's summary.
 *
 * Grammar (whitespace between tokens is free):
 * ```
 * threshold  := metric [phase] op value
 * phase      := "{" "phase" ":" ("ramp" | "steady" | "drain") "}"   only after a latency of an
 *                                             endpoint, count, errors or error_rate: the figure of
 *                                             that phase alone (summary `phases`)
 * op         := "<" | "<=" | ">" | ">=" | "==" | "!="
 * value      := number [unit]          number: 200, 1.5, .5 (no sign)
 * unit       := "ms" | "s" | "%"
 * metric     := latency "(" subject ")"       latency: p50 p90 p95 p99 p999 min mean max
 *             | "count" ["(" ENDPOINT ")"]    requests (all endpoints without an argument)
 *             | "errors" ["(" ENDPOINT ")"]   failed requests
 *             | "error_rate" ["(" ENDPOINT ")"]  errors / requests
 *             | "connected_ratio"             agents connected at the end / planned
 *             | "peak_connected_ratio"        peak connected / planned
 *             | "reconnects"                  coordinate-socket reconnects
 *             | "peak_reconnects_per_second"  most of them in one second (a reconnect storm's peak)
 *             | "lost" | "duplicated" | "out_of_order"   coordinator update anomalies
 *             | "delivered_per_second"        coordinator updates delivered per second
 *             | "recovery" ["(" ACTION ")"]   worst time to recover of the faults with that
 *                                             action (every fault without an argument)
 *             | "replay_mismatches" | "echo_lost"   PTY replays that differed, echoes never seen
 * subject    := ENDPOINT | "propagation" | "first_node" | "echo"   (echo: PTY echo latency)
 * ENDPOINT   := METHOD " " route-template    e.g. POST /me/report-stats, GET /{id}
 *             | "RPC" " " method-path         a v2 RPC, e.g. RPC /coder.agent.v2.Agent/UpdateStats
 * ACTION     := a fault action                 e.g. restart-target, drop-agent-sockets, latency
 * ```
 * Units: latencies and recovery take `ms` or `s` (a bare number means ms) and compare in ms; ratios take `%`
 * or a bare fraction between 0 and 1 (`1%` = `0.01`); counts and rates take bare numbers.
 *
 * Examples: `p99(POST /me/report-stats) < 200ms`, `error_rate < 1%`,
 * `error_rate(GET /{id}) <= 0.005`, `connected_ratio >= 0.99`, `p99(propagation) < 1.5s`,
 * `lost == 0`, `delivered_per_second > 100`, `recovery(restart-target) < 30s`,
 * `p99(echo) < 50ms`, `replay_mismatches == 0`, `p99(POST /me/report-stats){phase:steady} < 50ms`,
 * `error_rate{phase:steady} < 0.1%`.
 *
 * A threshold whose value cannot be measured (unknown endpoint, no samples, no coordinator
 * traffic, no PTY traffic, no planned agents) fails with `observed: null`; so does
 * `replay_mismatches` when no reconnect replay was checked. So does `recovery(...)` when no fault
 * of that action ran, or when any of them never recovered (`detail` says which). A phase threshold
 * fails with `observed: null` on a summary without phases, and a phase latency when the endpoint
 * had no samples in that phase.
 */
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type LatencyStat = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'min' | 'mean' | 'max';
export type ThresholdUnit = 'ms' | 'ratio' | 'number';
type AgentStat = 'connected_ratio' | 'peak_connected_ratio' | 'reconnects' | 'peak_reconnects_per_second';

export type ThresholdMetric =
  | { kind: 'latency'; stat: LatencyStat; endpoint: string; phase?: Phase }
  | { kind: 'coordinator_latency'; stat: LatencyStat; subject: 'propagation' | 'first_node' }
  | { kind: 'pty_latency'; stat: LatencyStat; subject: 'echo' }
  | { kind: 'pty'; stat: 'replay_mismatches' | 'echo_lost' }
  | { kind: 'endpoint'; stat: 'count' | 'errors' | 'error_rate'; endpoint: string; phase?: Phase }
  | { kind: 'total'; stat: 'count' | 'errors' | 'error_rate'; phase?: Phase }
  | { kind: 'agents'; stat: AgentStat }
  | { kind: 'coordinator'; stat: 'lost' | 'duplicated' | 'out_of_order' | 'delivered_per_second' }
  | { kind: 'recovery'; action?: string };

export interface Threshold {
  /** The expression as written (trimmed); reports show it verbatim. */
  expression: string;
  metric: ThresholdMetric;
  op: ThresholdOp;
  /** In the metric's unit: ms for latencies, a fraction for ratios, else a plain number. */
  value: number;
  unit: ThresholdUnit;
}

const LATENCY = new Set<string>(['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'mean', 'max']);
const ENDPOINT_OPTIONAL = new Set<string>(['count', 'errors', 'error_rate']);
const AGENTS = new Set<string>(['connected_ratio', 'peak_connected_ratio', 'reconnects', 'peak_reconnects_per_second']);
const COORDINATOR = new Set<string>(['lost', 'duplicated', 'out_of_order', 'delivered_per_second']);
const PTY = new Set<string>(['replay_mismatches', 'echo_lost']);
const RATIOS = new Set<string>(['error_rate', 'connected_ratio', 'peak_connected_ratio']);
const OPS = new Set<string>(['<', '<=', '>', '>=', '==', '!=']);
const ACTION = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// `RPC` names a v2 RPC by its method path (metrics/names.ts rpcEndpoint).
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'RPC'];
const KNOWN =
  'p50, p90, p95, p99, p999, min, mean, max (with an endpoint, propagation, first_node or echo), count, errors, error_rate, ' +
  'connected_ratio, peak_connected_ratio, reconnects, peak_reconnects_per_second, lost, duplicated, out_of_order, delivered_per_second, recovery, ' +
  'replay_mismatches, echo_lost';
const EXAMPLE = 'e.g. "p99(POST /me/report-stats) < 200ms" or "error_rate < 1%"';

/** Parses one threshold; throws a FleetsimError('bad_scenario') naming the column and what was expected. */
export function parseThreshold(expression: string): Threshold {
  const text = String(expression ?? '');
  const fail = (index: number, message: string): never => {
    throw new FleetsimError('bad_scenario', `threshold "${text}": column ${index + 1}: ${message}`, {
      hint: `write <metric> <op> <value>, ${EXAMPLE}`,
    });
  };
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const found = () => (i < text.length ? `found "${text.slice(i, i + 12)}"` : 'found the end');

  skipSpace();
  if (i >= text.length) fail(i, `empty threshold: expected <metric> <op> <value>, ${EXAMPLE}`);
  const nameStart = i;
  while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
  const name = text.slice(nameStart, i).toLowerCase();
  if (name === '') fail(nameStart, `expected a metric name (${KNOWN}), ${found()}`);
  const isLatency = LATENCY.has(name);
  const isRecovery = name === 'recovery';
  if (!isLatency && !isRecovery && !ENDPOINT_OPTIONAL.has(name) && !AGENTS.has(name) && !COORDINATOR.has(name) && !PTY.has(name)) {
    fail(nameStart, `unknown metric "${name}"; known metrics: ${KNOWN}`);
  }

  skipSpace();
  let argument: string | undefined;
  let argStart = i;
  if (text[i] === '(') {
    const open = i;
    const close = text.indexOf(')', i);
    if (close < 0) fail(open, `missing ")" to close the "(" of ${name}(`);
    argStart = i + 1;
    while (argStart < close && /\s/.test(text[argStart]!)) argStart++;
    argument = text
      .slice(i + 1, close)
      .trim()
      .replace(/\s+/g, ' ');
    if (argument === '' && isRecovery) fail(argStart, 'recovery() needs a fault action such as recovery(restart-target), or no parentheses for every fault');
    if (argument === '')
      fail(argStart, `${name}() needs an argument: an endpoint like "POST /me/report-stats"${isLatency ? ', "propagation", "first_node" or "echo"' : ''}`);
    i = close + 1;
  }

  let metric: ThresholdMetric;
  if (isLatency) {
    const stat = name as LatencyStat;
    if (argument === undefined) {
      fail(
        argStart,
        `${name} needs an argument: ${name}(<METHOD> <route>) such as ${name}(POST /me/report-stats), or ${name}(propagation) / ${name}(first_node) / ${name}(echo)`,
      );
    }
    const arg = argument!;
    if (arg.toLowerCase() === 'propagation' || arg.toLowerCase() === 'first_node') {
      metric = { kind: 'coordinator_latency', stat, subject: arg.toLowerCase() as 'propagation' | 'first_node' };
    } else if (arg.toLowerCase() === 'echo') {
      metric = { kind: 'pty_latency', stat, subject: 'echo' };
    } else metric = { kind: 'latency', stat, endpoint: checkEndpoint(arg, argStart, fail, true) };
  } else if (isRecovery) {
    if (argument !== undefined && !ACTION.test(argument)) {
      fail(argStart, `expected a fault action in lower-case kebab-case such as restart-target or drop-agent-sockets, found "${argument}"`);
    }
    metric = argument === undefined ? { kind: 'recovery' } : { kind: 'recovery', action: argument };
  } else if (ENDPOINT_OPTIONAL.has(name)) {
    const stat = name as 'count' | 'errors' | 'error_rate';
    metric = argument === undefined ? { kind: 'total', stat } : { kind: 'endpoint', stat, endpoint: checkEndpoint(argument, argStart, fail, false) };
  } else {
    if (argument !== undefined) fail(argStart, `${name} takes no argument (write "${name} <op> <value>")`);
    metric = AGENTS.has(name)
      ? { kind: 'agents', stat: name as AgentStat }
      : PTY.has(name)
        ? { kind: 'pty', stat: name as 'replay_mismatches' | 'echo_lost' }
        : { kind: 'coordinator', stat: name as 'lost' | 'duplicated' | 'out_of_order' | 'delivered_per_second' };
  }

  skipSpace();
  if (text[i] === '{') {
    const open = i;
    const close = text.indexOf('}', i);
    if (close < 0) fail(open, 'missing "}" to close the "{" of {phase:...}');
    const inner = text.slice(i + 1, close).replace(/\s+/g, '');
    const m = /^phase:(.*)$/i.exec(inner);
    if (!m) fail(open + 1, `expected {phase:ramp}, {phase:steady} or {phase:drain}, found "{${text.slice(i + 1, close)}}"`);
    const phase = m![1]!.toLowerCase();
    if (!(PHASES as readonly string[]).includes(phase)) fail(open + 1, `unknown phase "${m![1]}"; use ramp, steady or drain`);
    if (metric.kind !== 'latency' && metric.kind !== 'endpoint' && metric.kind !== 'total') {
      fail(
        open,
        `{phase:...} applies only to an endpoint's latency, count, errors and error_rate, not to ${name}${argument !== undefined ? `(${argument})` : ''}`,
      );
    }
    metric = { ...metric, phase: phase as Phase } as ThresholdMetric;
    i = close + 1;
    skipSpace();
  }
  const opStart = i;
  while (i < text.length && /[<>=!]/.test(text[i]!)) i++;
  const op = text.slice(opStart, i);
  if (op === '') fail(opStart, `expected a comparison operator (<, <=, >, >=, ==, !=) after ${name}, ${found()}`);
  if (!OPS.has(op)) fail(opStart, `unknown operator "${op}"; use one of <, <=, >, >=, ==, !=`);

  skipSpace();
  const valueStart = i;
  const match = /^(\d+(?:\.\d+)?|\.\d+)([A-Za-z%µ]*)/.exec(text.slice(i));
  if (!match) fail(valueStart, `expected a value like 200ms, 1.5s, 1% or 0.99, ${found()}`);
  const [whole, digits, rawUnit] = match!;
  i += whole.length;
  const unitStart = valueStart + digits!.length;
  const unitText = rawUnit!.toLowerCase();
  if (unitText !== '' && unitText !== 'ms' && unitText !== 's' && unitText !== '%') {
    fail(unitStart, `unknown unit "${rawUnit}"; use ms, s or %`);
  }
  skipSpace();
  if (i < text.length) fail(i, `unexpected "${text.slice(i, i + 12)}" after the value`);

  const number = Number(digits);
  const unit: ThresholdUnit = isLatency || isRecovery ? 'ms' : RATIOS.has(name) ? 'ratio' : 'number';
  let value = number;
  if (unit === 'ms') {
    if (unitText === '%') fail(unitStart, `${name} is a ${isRecovery ? 'duration' : 'latency'}: use ms or s (e.g. ${isRecovery ? '30s' : '200ms'}), not %`);
    if (unitText === 's') value = number * 1000;
  } else if (unit === 'ratio') {
    if (unitText === 'ms' || unitText === 's') fail(unitStart, `${name} is a ratio: use % or a fraction (e.g. 1% or 0.01), not ${unitText}`);
    if (unitText === '%') value = number / 100;
    if (value > 1) fail(valueStart, `${name} is a ratio between 0 and 1 (or 0%..100%)${unitText === '' ? `; did you mean ${digits}%?` : ''}`);
  } else if (unitText !== '') {
    fail(unitStart, `${name} is a plain number: write it without a unit`);
  }
  return { expression: text.trim(), metric, op: op as ThresholdOp, value, unit };
}

function checkEndpoint(arg: string, at: number, fail: (index: number, message: string) => never, latency: boolean): string {
  const space = arg.indexOf(' ');
  const method = space < 0 ? arg : arg.slice(0, space);
  const route = space < 0 ? '' : arg.slice(space + 1);
  const expected = `an endpoint "<METHOD> <route template>" such as "POST /me/report-stats" or "GET /{id}"${latency ? ', or "propagation" / "first_node" / "echo"' : ''}`;
  if (!METHODS.includes(method)) {
    const upper = METHODS.includes(method.toUpperCase()) ? ` (methods are upper case: ${method.toUpperCase()})` : '';
    fail(at, `expected ${expected}, found "${arg}"${upper}`);
  }
  if (!route.startsWith('/') || /\s/.test(route))
    fail(at + space + 1, `the route after ${method} must start with "/" (a template like /me/report-stats), found "${route}"`);
  return `${method} ${route}`;
}

const pickLatency = (stats: LatencyStats | undefined, stat: LatencyStat): number | null => (stats && stats.count > 0 ? stats[stat] : null);

/** The measured value for one threshold metric, or null when it cannot be measured. */
function observe(summary: RunSummary, metric: ThresholdMetric): number | null {
  switch (metric.kind) {
    case 'latency':
      return pickLatency(endpointsOf(summary, metric.phase)?.[metric.endpoint], metric.stat);
    case 'coordinator_latency': {
      const c = summary.coordinator;
      return pickLatency(metric.subject === 'propagation' ? c?.propagationMs : c?.firstNodeMs, metric.stat);
    }
    case 'pty_latency':
      return pickLatency(summary.pty?.echoMs, metric.stat);
    case 'pty':
      return observePty(summary, metric.stat).observed;
    case 'endpoint': {
      const table = endpointsOf(summary, metric.phase);
      if (!table || !summary.endpoints[metric.endpoint]) return null;
      // An endpoint of the run that was quiet in this phase counts 0 there.
      const e = table[metric.endpoint] ?? { count: 0, errors: 0 };
      return metric.stat === 'count' ? e.count : metric.stat === 'errors' ? e.errors : errorRate(e.errors, e.count);
    }
    case 'total': {
      if (metric.phase === undefined) {
        return metric.stat === 'count' ? summary.totals.requests : metric.stat === 'errors' ? summary.totals.errors : summary.totals.errorRate;
      }
      const table = endpointsOf(summary, metric.phase);
      if (!table) return null;
      const rows = Object.values(table);
      const count = rows.reduce((n, e) => n + e.count, 0);
      const errors = rows.reduce((n, e) => n + e.errors, 0);
      return metric.stat === 'count' ? count : metric.stat === 'errors' ? errors : errorRate(errors, count);
    }
    case 'agents': {
      const a = summary.agents;
      if (metric.stat === 'reconnects') return a.reconnects;
      if (metric.stat === 'peak_reconnects_per_second') return a.peakReconnectsPerSecond ?? 0;
      if (a.planned <= 0) return null;
      return (metric.stat === 'connected_ratio' ? a.connected : a.peakConnected) / a.planned;
    }
    case 'coordinator': {
      const c = summary.coordinator;
      if (!c) return null;
      return metric.stat === 'lost'
        ? c.lost
        : metric.stat === 'duplicated'
          ? c.duplicated
          : metric.stat === 'out_of_order'
            ? c.outOfOrder
            : c.deliveredPerSecond;
    }
    case 'recovery':
      return observeRecovery(summary, metric.action).observed;
  }
}

/** The run's endpoint table, or one phase's (undefined when the summary has no phases). */
function endpointsOf(summary: RunSummary, phase: Phase | undefined): Record<string, EndpointStats> | undefined {
  return phase === undefined ? summary.endpoints : summary.phases?.[phase].endpoints;
}

/**
 * The worst `recoveredAfterMs` of the faults with `action` (every fault when undefined); null,
 * with the reason in `detail`, when there was no such fault or one of them never recovered.
 */
export function observeRecovery(summary: RunSummary, action: string | undefined): { observed: number | null; detail?: string } {
  const faults = (summary.faults ?? []).filter((f) => action === undefined || f.action === action);
  const what = action === undefined ? 'fault' : `${action} fault`;
  if (faults.length === 0) return { observed: null, detail: `no ${what} in this run` };
  const never = faults.filter((f) => f.recoveredAfterMs === null).length;
  if (never > 0) return { observed: null, detail: `not recovered (${never} of ${faults.length} ${what}${faults.length === 1 ? '' : 's'})` };
  return { observed: Math.max(...faults.map((f) => f.recoveredAfterMs!)) };
}

/**
 * A PTY count; null without PTY traffic, and `replay_mismatches` is null (not a vacuous 0) when
 * no reconnect replay was checked, so a gate on it cannot pass without checking anything.
 */
export function observePty(summary: RunSummary, stat: 'replay_mismatches' | 'echo_lost'): { observed: number | null; detail?: string } {
  const p = summary.pty;
  if (!p) return { observed: null, detail: 'no PTY traffic in this run' };
  if (stat === 'echo_lost') return { observed: p.echoLost };
  if (p.replayChecks === 0) return { observed: null, detail: 'no reconnect replay was checked (set pty.reconnectEvery)' };
  return { observed: p.replayMismatches };
}

function compare(observed: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

/** Evaluates every threshold against the summary; never throws. */
export function evaluateThresholds(summary: RunSummary, thresholds: readonly Threshold[]): ThresholdResult[] {
  return thresholds.map((t) => {
    let observed: number | null = null;
    let detail: string | undefined;
    try {
      if (t.metric.kind === 'recovery') ({ observed, detail } = observeRecovery(summary, t.metric.action));
      else if (t.metric.kind === 'pty') ({ observed, detail } = observePty(summary, t.metric.stat));
      else observed = observe(summary, t.metric);
      if (observed === null && 'phase' in t.metric && t.metric.phase !== undefined && !summary.phases)
        detail = 'this summary has no phases (written before phases existed)';
    } catch {
      observed = null;
    }
    if (observed !== null && !Number.isFinite(observed)) observed = null;
    const result: ThresholdResult = { expression: t.expression, observed, pass: observed !== null && compare(observed, t.op, t.value) };
    if (observed === null && detail !== undefined) result.detail = detail;
    return result;
  });
}
