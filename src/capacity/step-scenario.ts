/**
 * The scenario of one capacity step: the user's scenario with its agent count set to the step's,
 * a plain ramp (0 → N over `rampMs`), then `settleMs`, then the measured `holdMs`. Everything
 * else (auth mix, intervals, peers, REST, server settings) is kept; REST and other timed
 * sections are stretched to the step's length like `--duration` does. Faults are dropped (a
 * capacity step measures steady load) and so are the scenario's own thresholds (the SLOs are
 * judged on the hold window, not the whole step).
 */
import { applyOverrides, validateScenario, type ScenarioOverrides } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';

export interface StepTiming {
  rampMs: number;
  settleMs: number;
  holdMs: number;
}

/** What `fleetsim capacity` may override in the scenario file (its flags of the same names). */
export type CapacityOverrides = Pick<ScenarioOverrides, 'seed' | 'target' | 'sourceAddresses'>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The raw (unvalidated) step scenario. */
export function stepScenarioInput(raw: unknown, agents: number, timing: StepTiming, overrides: CapacityOverrides = {}): unknown {
  const durationMs = timing.rampMs + timing.settleMs + timing.holdMs;
  const out = applyOverrides(raw, { ...overrides, duration: durationMs });
  if (!isObj(out)) return out;
  const section = isObj(out.agents) ? { ...out.agents } : {};
  delete section.phases;
  out.agents = { ...section, count: agents, rampUp: timing.rampMs, rampDown: 0 };
  if (isObj(out.server)) {
    const server = { ...out.server };
    if (typeof server.agents === 'number' && server.agents < agents) server.agents = agents;
    out.server = server;
  }
  if (isObj(out.observe)) {
    // One /metrics server per step would come and go; the capacity command does not serve one.
    const observe = { ...out.observe };
    delete observe.metricsAddr;
    out.observe = observe;
  }
  delete out.faults;
  out.thresholds = [];
  return out;
}

/** The validated step scenario (a bad scenario is a bad_scenario FleetsimError, exit 3). */
export function stepScenario(raw: unknown, source: string, agents: number, timing: StepTiming, overrides: CapacityOverrides = {}): Scenario {
  return validateScenario(stepScenarioInput(raw, agents, timing, overrides), source);
}

/** True when the file's scenario has faults (they are not run by capacity steps; the CLI says so). */
export function hasFaults(raw: unknown): boolean {
  return isObj(raw) && Array.isArray(raw.faults) && raw.faults.length > 0;
}
