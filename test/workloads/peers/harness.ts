import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import type { Credentials } from '../../../src/protocol/credentials.js';
import { createPeersWorkload, type PeersRun } from '../../../src/workloads/peers/peers-workload.js';
import type { PeersConfig } from '../../../src/workloads/peers/section.js';
import type { WorkloadContext } from '../../../src/workloads/workload.js';
import { manualClock } from '../../helpers/clock.js';
import { recordingSink, type RecordingSink } from '../../helpers/sink.js';

/** Fixed credentials for relay-double tests (never real secrets). */
export function testCredentials(url: string, agents: number): Credentials {
  return {
    url,
    userToken: 'abcdefghij-0123456789abcdefghijkl',
    agents: Array.from({ length: agents }, (_, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i + 1}`,
      name: `agent${i + 1}`,
      workspaceName: `ws${i + 1}`,
      token: `11111111-1111-4111-8111-00000000000${i + 1}`,
      instanceId: `i-${i + 1}`,
      apps: [],
    })),
  };
}

/**
 * Starts a peers workload in the background on a manual clock; `stop()` aborts it and moves the
 * clock through the drain window. Tests wait for deliveries before stopping, so the drain has
 * nothing in flight and needs no real time.
 */
export function startPeers(credentials: Credentials, overrides: Partial<PeersConfig> & Partial<PeersRun> = {}) {
  const metrics: RecordingSink = recordingSink();
  const clock = manualClock();
  const { dial, protocol, tickMs = 10, ...section } = overrides;
  const config: PeersConfig = {
    perAgent: 2,
    updateRate: 0,
    jitter: 0,
    drainWindow: 150,
    auth: 'cookie',
    reconnect: { initial: 50, max: 10_000, jitter: 'none' },
    ...section,
  };
  const { workload, observer } = createPeersWorkload(config, {
    schedule: () => credentials.agents.length,
    durationMs: 60_000,
    tickMs,
    ...(dial ? { dial } : {}),
    ...(protocol ? { protocol } : {}),
  });
  const controller = new AbortController();
  const ctx: WorkloadContext = {
    signal: controller.signal,
    clock,
    metrics,
    target: { url: credentials.url, embedded: false },
    credentials,
    rng: createRng('peers-test'),
    log: silentLogger,
  };
  let running: Promise<void> | undefined;
  return {
    metrics,
    observer,
    clock,
    /** Runs the workload (call after any pre-run agent traffic). */
    start() {
      running = workload.run(ctx);
    },
    async stop() {
      controller.abort();
      let ended = false;
      const done = running?.then(() => (ended = true));
      // Bounded: the drain is one timer of drainWindowMs; redial backoffs end with the abort.
      for (let i = 0; i < 100 && !ended && done; i++) await clock.advanceAsync(config.drainWindow);
      await done;
    },
  };
}
