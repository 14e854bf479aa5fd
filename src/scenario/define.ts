import type { ScenarioInput } from './schema.js';

/**
 * Typed identity for scenario files: `export default defineScenario({ ... })` gives editor
 * completion and type errors; validation still happens when the file is loaded.
 */
export function defineScenario(input: ScenarioInput): ScenarioInput {
  return input;
}
