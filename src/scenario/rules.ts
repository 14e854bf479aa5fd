/**
 * Cross-field rules of the scenario schema. They run even when other fields failed (so one run
 * lists every problem), which is why they read the half-parsed value defensively: a field that
 * failed its own validation is simply skipped here. Each workload section's own rules live with
 * its kind (src/workloads/<kind>/) and run here in registry order.
 */
import { agentsPeak } from '../workloads/agents/section.js';
import type { AnyWorkloadKind } from '../workloads/kind.js';
import { WORKLOAD_KINDS } from '../workloads/registry.js';
import { faultRules } from './faults.js';
import { recoveryThresholdProblems } from './threshold-check.js';
import { isObj, num, type ReportIssue } from './fields.js';

/** Applies every cross-field rule to a (possibly half-parsed) scenario object. */
export function crossFieldRules(value: unknown, report: ReportIssue): void {
  if (!isObj(value)) return;
  const duration = num(value.duration);
  if (duration === 0) report(['duration'], 'must be longer than 0s');
  if (value.target !== undefined) {
    if (value.server !== undefined) report(['server'], 'configures the embedded server, so it cannot go with "target": remove one of them');
  }
  for (const [key, kind] of Object.entries(WORKLOAD_KINDS) as [string, AnyWorkloadKind][]) {
    const section = value[key];
    if (kind.rules && isObj(section)) kind.rules(section, { durationMs: duration }, (path, message) => report([key, ...path], message));
    // The agents section is the run's timeline: the fixtures are checked against it next to it.
    if (key === 'agents') serverRules(value, report);
  }
  faultRules(value.faults, duration, value.target !== undefined, report);
  if (Array.isArray(value.thresholds) && value.thresholds.every((t) => typeof t === 'string')) {
    const actions = Array.isArray(value.faults) ? value.faults.flatMap((f) => (isObj(f) && typeof f.action === 'string' ? [f.action] : [])) : [];
    for (const problem of recoveryThresholdProblems(value.thresholds as string[], actions)) report(['thresholds', problem.index], problem.message);
  }
}

/** The embedded server must provision at least the agents' peak. */
function serverRules(value: Readonly<Record<string, unknown>>, report: ReportIssue): void {
  if (!isObj(value.server)) return;
  const provisioned = num(value.server.agents);
  const peak = agentsPeak(value.agents);
  if (provisioned !== undefined && peak !== undefined && provisioned < peak) {
    report(['server', 'agents'], `${provisioned} fixtures cannot serve a peak of ${peak} agents; raise it or leave it out (it defaults to agents.count)`);
  }
}
