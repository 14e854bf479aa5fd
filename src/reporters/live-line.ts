import type { LiveSnapshot } from '../metrics/recorder-types.js';

/**
 * One progress line, printed about once a second during a run, e.g.
 * `  12.0s  agents 48/50  peers 0  req/s 132  errors 0`.
 */
export function formatLiveLine(snapshot: LiveSnapshot): string {
  const elapsed = `${(snapshot.elapsedMs / 1000).toFixed(1)}s`.padStart(7);
  return (
    `${elapsed}  agents ${snapshot.agentsConnected}/${snapshot.agentsPlanned}  peers ${snapshot.peersConnected}` +
    `  req/s ${Math.round(snapshot.requestsPerSecond)}  errors ${snapshot.totalErrors}`
  );
}
