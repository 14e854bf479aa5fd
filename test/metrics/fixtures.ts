import { createFaultLog } from '../../src/metrics/fault-log.js';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import type { FaultWindow } from '../../src/metrics/recovery.js';
import { createRecorder, type Recorder } from '../../src/metrics/recorder.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { manualClock } from '../helpers/clock.js';

export const META = {
  scenario: 'unit',
  seed: '42',
  target: 'embedded',
  startedAt: '2026-11-29T12:00:00.000Z',
  endedAt: '2026-11-29T12:00:10.000Z',
  fleetsimVersion: '0.1.0',
  runId: 'unit-1',
};

/**
 * A hand-fed recorder over 10 s: report-stats 100 × 1..100 ms with 2 http_500 + 1 timeout,
 * metadata 50 × 0.25 ms with 5 timeouts, 8/10 agents connected at the end (peak 10), 3 reconnects.
 */
export function handFed(opts: { coordinator?: boolean } = {}): Recorder {
  const clock = manualClock();
  const r = createRecorder({ clock });
  r.gauge(METRIC.agentsConnected, 10);
  r.count(METRIC.agentsAuthenticated, 10);
  for (let i = 1; i <= 100; i++) {
    clock.set(i * 90);
    r.trend(METRIC.request, i, { endpoint: ENDPOINT.reportStats });
  }
  r.count(METRIC.error, 2, { endpoint: ENDPOINT.reportStats, class: 'http_500' });
  r.count(METRIC.error, 1, { endpoint: ENDPOINT.reportStats, class: 'timeout' });
  for (let i = 0; i < 50; i++) r.trend(METRIC.request, 0.25, { endpoint: ENDPOINT.metadata });
  r.count(METRIC.error, 5, { endpoint: ENDPOINT.metadata, class: 'timeout' });
  r.gauge(METRIC.rateLimitLimit, 512, { endpoint: ENDPOINT.reportStats });
  r.gauge(METRIC.rateLimitRemaining, 500, { endpoint: ENDPOINT.reportStats });
  r.gauge(METRIC.rateLimitRemaining, 480, { endpoint: ENDPOINT.reportStats });
  clock.set(9500);
  r.gauge(METRIC.agentsConnected, 8);
  r.count(METRIC.agentsReconnects, 3);
  if (opts.coordinator) {
    r.gauge(METRIC.peersConnected, 4);
    r.count(METRIC.coordUpdatesSent, 100, { direction: 'agent_to_peer' });
    r.count(METRIC.coordUpdatesDelivered, 98, { direction: 'agent_to_peer' });
    r.count(METRIC.coordLost, 2, { direction: 'agent_to_peer' });
    r.count(METRIC.coordUpdatesSent, 10, { direction: 'peer_to_agent' });
    r.count(METRIC.coordUpdatesDelivered, 10, { direction: 'peer_to_agent' });
    r.count(METRIC.coordDuplicated, 1, { direction: 'peer_to_agent' });
    for (let i = 1; i <= 98; i++) r.trend(METRIC.coordPropagation, i / 10, { direction: 'agent_to_peer' });
    for (let i = 1; i <= 10; i++) r.trend(METRIC.coordPropagation, 5, { direction: 'peer_to_agent' });
    for (let i = 1; i <= 4; i++) r.trend(METRIC.coordFirstNode, 20 * i);
  }
  return r;
}

export function handFedSummary(opts: { coordinator?: boolean } = {}): RunSummary {
  return buildSummary(handFed(opts), { meta: META, agentsPlanned: 10, plan: { peakAgents: 10 } });
}

/**
 * A 30 s run of 100 agents (20 report-stats requests a second at 10 ms) with two faults stamped
 * by a fault log on the recorder's clock:
 * - drop-agent-sockets at 10.5 s: 100 coordinate resets, 50 agents back at 11.2 s and 100 at
 *   12.3 s (50 reconnects each), 300 ms requests in seconds 11 and 12 → recovered from second 13,
 *   i.e. after 14 000 − 10 500 = 3 500 ms;
 * - restart-target 20.0–21.0 s: 40 agents never come back, 5 refused report-stats → never.
 */
export function faultedRun(): { recorder: Recorder; faults: FaultWindow[] } {
  const clock = manualClock();
  const r = createRecorder({ clock });
  const log = createFaultLog(r);
  r.gauge(METRIC.agentsConnected, 100);
  let restartEnd: (() => void) | undefined;
  for (let s = 0; s < 30; s++) {
    for (let i = 0; i < 20; i++) {
      clock.set(s * 1000 + i * 50);
      r.trend(METRIC.request, s === 11 || s === 12 ? 300 : 10, { endpoint: ENDPOINT.reportStats });
      const now = s * 1000 + i * 50;
      if (now === 10_500) {
        log.instant('drop-agent-sockets');
        r.gauge(METRIC.agentsConnected, 0);
        r.count(METRIC.error, 100, { endpoint: ENDPOINT.agentCoordinate, class: 'reset' });
      } else if (now === 11_200) {
        r.gauge(METRIC.agentsConnected, 50);
        r.count(METRIC.agentsReconnects, 50);
      } else if (now === 12_300) {
        r.gauge(METRIC.agentsConnected, 100);
        r.count(METRIC.agentsReconnects, 50);
      } else if (now === 20_000) {
        restartEnd = log.begin('restart-target');
        r.gauge(METRIC.agentsConnected, 60);
      } else if (now === 20_500) {
        r.count(METRIC.error, 5, { endpoint: ENDPOINT.reportStats, class: 'refused' });
      } else if (now === 21_000) {
        restartEnd?.();
      }
    }
  }
  clock.set(30_000);
  r.markEnd();
  return { recorder: r, faults: log.windows() };
}

export const FAULTED_META = { ...META, endedAt: '2026-11-29T12:00:30.000Z' };

export function faultedSummary(): RunSummary {
  const { recorder, faults } = faultedRun();
  return buildSummary(recorder, { meta: FAULTED_META, agentsPlanned: 100, faults });
}
