import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { formatPlan, planScenario, type Plan } from '../../src/scenario/plan.js';
import { WORKLOAD_KINDS } from '../../src/workloads/registry.js';

/**
 * `fleetsim plan` shows every registered workload kind. For each kind: a small section, the line
 * of the text plan that shows it, and where the JSON plan holds it. A kind added to
 * src/workloads/registry.ts fails here until the plan shows it (src/scenario/plan.ts and
 * plan-format.ts) and this table has its entry.
 */
const SHOWN: Record<string, { section: Record<string, unknown>; line: RegExp; json: (plan: Plan) => unknown }> = {
  agents: { section: { count: 2 }, line: /^Agents: peak 2, 2 started/m, json: (plan) => plan.phases[0] },
  peers: { section: { perAgent: 3 }, line: /^Peers: 3 per agent \(peak 6\)/m, json: (plan) => plan.peers },
  rest: { section: { mix: { 'GET /{id}': 1 }, model: 'open', rate: 5 }, line: /^REST \(open model, .*50 requests$/m, json: (plan) => plan.rest },
  pty: { section: { sessionsPerAgent: 2 }, line: /^PTY: 0s -> 10s, 2 sessions per agent/m, json: (plan) => plan.pty },
};

const BASE = { name: 'kinds', duration: '10s', agents: { count: 2 } };

function plan(sections: Record<string, unknown>): { plan: Plan; text: string } {
  const p = planScenario(validateScenario({ ...BASE, ...sections }, 'kinds'));
  return { plan: p, text: formatPlan(p) };
}

describe('fleetsim plan shows every registered workload kind', () => {
  it('the table names only registered kinds', () => {
    expect(Object.keys(SHOWN).filter((key) => !(key in WORKLOAD_KINDS))).toEqual([]);
  });

  for (const [key, kind] of Object.entries(WORKLOAD_KINDS)) {
    it(`${key}: a line in the text plan and a field in the JSON plan`, () => {
      const shown = SHOWN[key];
      expect(shown, `workload kind "${key}" has no plan line (add one, then an entry in SHOWN)`).toBeDefined();
      if (!shown) return;
      const present = plan({ [key]: shown.section });
      expect(present.text).toMatch(shown.line);
      expect(shown.json(present.plan)).toBeDefined();
      // An optional kind shows only when its section is there.
      const optional = kind.section.safeParse(undefined).data === undefined;
      if (optional) {
        const absent = plan({});
        expect(absent.text).not.toMatch(shown.line);
        expect(shown.json(absent.plan)).toBeUndefined();
      }
    });
  }
});
