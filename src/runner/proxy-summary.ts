import type { ProxySummary } from '../metrics/summary-types.js';
import type { ProxyProcessStats } from './fault-proxy/proxy-process.js';

/** Measured in bench/proxy.ts on a 2-core machine; see docs/faults.md (Overhead). */
const NOTE =
  'every connection went through the fault proxy, in its own process: it adds a loopback hop ' +
  '(about 25-31 µs of proxy CPU per REST request and 8-10 µs per WebSocket message), which ' +
  'shares the machine with the fleet and, for the embedded server, the target';

/** The summary's `proxy` section from the proxy's last counters (zeros if they were lost). */
export function proxySummary(last: ProxyProcessStats | undefined): ProxySummary {
  const s = last?.stats;
  return {
    placement: 'child-process',
    note: last ? NOTE : `${NOTE}; its counters were lost (the proxy process ended early)`,
    connectionsOpened: s?.opened ?? 0,
    peakTargetOpen: s?.peakTargetOpen ?? 0,
    peakClientOpen: s?.peakOpen ?? 0,
    reset: s?.reset ?? 0,
    refused: s?.refused ?? 0,
    targetFailed: s?.targetFailed ?? 0,
    bytesUpstream: s?.bytesUpstream ?? 0,
    bytesDownstream: s?.bytesDownstream ?? 0,
    cpuMs: last ? Math.round((last.cpu.user + last.cpu.system) / 1000) : 0,
  };
}
