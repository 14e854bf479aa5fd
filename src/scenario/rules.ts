/**
 * Cross-field rules of the scenario schema. They run even when other fields failed (so one run
 * lists every problem), which is why they read the half-parsed value defensively: a field that
 * failed its own validation is simply skipped here.
 */
import { REST_ENDPOINTS } from './constants.js';
import { formatDuration } from './duration.js';
import { didYouMean } from './suggest.js';

type Report = (path: (string | number)[], message: string) => void;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const fmt = formatDuration;

/** Sum of weights when every one is a valid number, else undefined (their own issues report). */
function weightSum(weights: unknown): number | undefined {
  if (!isObj(weights)) return undefined;
  let sum = 0;
  for (const w of Object.values(weights)) {
    if (w === undefined) continue;
    const n = num(w);
    if (n === undefined || n < 0) return undefined;
    sum += n;
  }
  return sum;
}

/** Applies every cross-field rule to a (possibly half-parsed) scenario object. */
export function crossFieldRules(value: unknown, report: Report): void {
  if (!isObj(value)) return;
  const duration = num(value.duration);
  if (duration === 0) report(['duration'], 'must be longer than 0s');
  if (value.target !== undefined) {
    if (value.server !== undefined) report(['server'], 'configures the embedded server, so it cannot go with "target": remove one of them');
    if (value.faults !== undefined) report(['faults'], 'faults need the embedded server, so they cannot go with "target": remove one of them');
  }
  const peak = agentRules(value.agents, duration, report);
  if (isObj(value.server)) {
    const provisioned = num(value.server.agents);
    if (provisioned !== undefined && peak !== undefined && provisioned < peak) {
      report(['server', 'agents'], `${provisioned} fixtures cannot serve a peak of ${peak} agents; raise it or leave it out (it defaults to agents.count)`);
    }
  }
  if (isObj(value.rest)) restRules(value.rest, duration, report);
  if (Array.isArray(value.faults) && duration !== undefined) {
    value.faults.forEach((fault, i) => {
      const at = isObj(fault) ? num(fault.at) : undefined;
      if (at !== undefined && at >= duration) report(['faults', i, 'at'], `${fmt(at)} is not before the end of the run (duration ${fmt(duration)})`);
    });
  }
}

/** Agent rules; returns the peak agent count when it can be known. */
function agentRules(agents: unknown, duration: number | undefined, report: Report): number | undefined {
  if (!isObj(agents)) return undefined;
  const count = num(agents.count);
  const rampUp = num(agents.rampUp) ?? 0;
  const rampDown = num(agents.rampDown) ?? 0;
  let peak = count;
  if (Array.isArray(agents.phases) && agents.phases.length > 0) {
    const phases = agents.phases.filter(isObj);
    const tos = phases.map((p) => num(p.to));
    const durations = phases.map((p) => num(p.duration));
    const phasePeak = tos.every((t) => t !== undefined) ? Math.max(...(tos as number[])) : undefined;
    if (count !== undefined && phasePeak !== undefined && count < phasePeak) {
      report(['agents', 'count'], `${count} is below the phases' peak of ${phasePeak}; raise it or leave it out (it defaults to the peak)`);
    }
    peak = count ?? phasePeak;
    if (durations.every((d) => d !== undefined) && duration !== undefined) {
      const total = (durations as number[]).reduce((a, b) => a + b, 0);
      if (total > duration) report(['agents', 'phases'], `the phases last ${fmt(total)} but duration is ${fmt(duration)}; shorten the phases or raise duration`);
    }
    if (rampUp > 0) report(['agents', 'rampUp'], 'applies only without phases; add a ramp phase instead');
    if (rampDown > 0) report(['agents', 'rampDown'], 'applies only without phases; add a ramp-down phase instead');
  } else {
    peak = count ?? (agents.count === undefined ? 10 : undefined);
    if (duration !== undefined && rampUp + rampDown > duration) {
      report(['agents', 'rampUp'], `rampUp (${fmt(rampUp)}) + rampDown (${fmt(rampDown)}) exceed duration (${fmt(duration)})`);
    }
  }
  if (weightSum(agents.auth) === 0) report(['agents', 'auth'], 'the weights must sum to more than 0, e.g. { token: 1 }');
  if (isObj(agents.lifecycle) && weightSum(agents.lifecycle.outcomes) === 0) {
    report(['agents', 'lifecycle', 'outcomes'], 'the weights must sum to more than 0, e.g. { ready: 1 }');
  }
  return peak;
}

function restRules(rest: Obj, duration: number | undefined, report: Report): void {
  if (rest.model === 'open' && rest.rate === undefined) report(['rest', 'rate'], 'required when rest.model is "open" (overall requests per second)');
  if (isObj(rest.mix)) {
    const keys = Object.keys(rest.mix);
    if (keys.length === 0) report(['rest', 'mix'], 'name at least one endpoint, e.g. { "GET /me/metadata": 1 }');
    for (const key of keys) {
      if ((REST_ENDPOINTS as readonly string[]).includes(key)) continue;
      const normalized = key.replace(/\/api\/v2\/workspaceagents/, '');
      const hint = didYouMean(normalized, REST_ENDPOINTS) || `; expected one of ${REST_ENDPOINTS.map((e) => JSON.stringify(e)).join(', ')}`;
      report(['rest', 'mix', key], `unknown endpoint${hint}`);
    }
    if (keys.length > 0 && weightSum(rest.mix) === 0) report(['rest', 'mix'], 'the weights must sum to more than 0');
  }
  const startAfter = num(rest.startAfter) ?? 0;
  const restDuration = num(rest.duration);
  if (duration === undefined) return;
  if (startAfter >= duration) {
    report(['rest', 'startAfter'], `${fmt(startAfter)} is not before the end of the run (duration ${fmt(duration)})`);
  } else if (restDuration !== undefined && startAfter + restDuration > duration) {
    report(['rest', 'duration'], `startAfter (${fmt(startAfter)}) + duration (${fmt(restDuration)}) run past the end of the run (${fmt(duration)})`);
  }
}
