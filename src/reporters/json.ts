import type { RunSummary } from '../metrics/summary-types.js';

export const JSON_FILE = 'summary.json';

/** summary.json: the RunSummary itself, pretty-printed (the machine-readable source of truth). */
export function renderJson(summary: RunSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
