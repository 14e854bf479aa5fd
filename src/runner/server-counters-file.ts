/**
 * `server-counters.json`: what fleetsim's embedded server itself counted during a run (its
 * totals: requests answered per route, sockets opened and closed, lifecycle states accepted…,
 * src/server/counters.ts), written beside the reports when the run started the server. It lets a
 * reader (bench:scale, a CI check) compare the report's counts with the target's own. Totals
 * only: no per-agent records, no ids, no tokens.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerCounters } from '../server/counters.js';

export const SERVER_COUNTERS_FILE = 'server-counters.json';

export interface ServerCountersFile {
  format: 'fleetsim-server-counters';
  version: 1;
  /** The server's totals after the workloads stopped, just before it was closed. */
  totals: ServerCounters['totals'];
}

/** Writes the file into `reportDir` (which exists: the reports are written first); returns its path. */
export async function writeServerCounters(reportDir: string, totals: ServerCounters['totals']): Promise<string> {
  const path = join(reportDir, SERVER_COUNTERS_FILE);
  const file: ServerCountersFile = { format: 'fleetsim-server-counters', version: 1, totals };
  await writeFile(path, JSON.stringify(file, null, 2) + '\n');
  return path;
}
