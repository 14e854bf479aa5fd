import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import { METRIC } from '../../../src/metrics/names.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { ptyKind } from '../../../src/workloads/pty/kind.js';
import { createPtyWorkload } from '../../../src/workloads/pty/pty-workload.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { recordingSink } from '../../helpers/sink.js';
import { testCredentials } from '../peers/harness.js';
import { startReplayDouble } from './replay-double.js';

let double: Awaited<ReturnType<typeof startReplayDouble>> | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

describe('pty workload on a manual clock', () => {
  it('types exactly rate × time, every write echoed once, one planned reconnect checked', async () => {
    double = await startReplayDouble({ corruptReplays: 0, corruptAt: 0 });
    const clock = manualClock();
    const metrics = recordingSink();
    const controller = new AbortController();
    // 40-byte writes at 4000 B/s: one every 10 ms from a random phase in [0, 10 ms).
    const config = sectionConfig(
      ptyKind,
      { bytesPerSecond: 4000, messageSize: 40, jitter: 0, reconnectEvery: '100ms', duration: '10s' },
      { durationMs: 10_000 },
    );
    const workload = createPtyWorkload(config, { schedule: () => 1, tickMs: 1000 });
    const running = workload.run({
      signal: controller.signal,
      clock,
      metrics,
      target: { url: double.url, embedded: false },
      credentials: testCredentials(double.url, 1),
      rng: createRng('pty-manual'),
      log: silentLogger,
    });
    await eventually(() => metrics.total(METRIC.ptyOpened) === 1, 'the first open');
    expect(metrics.total(METRIC.ptyBytesSent)).toBe(0); // nothing typed before time moves

    // 99 ms: writes at phase + 0, 10, …, 90 → exactly 10, whatever the phase.
    await clock.advanceAsync(99);
    await eventually(() => metrics.values(METRIC.ptyEcho).length === 10, 'ten echoes');
    expect(metrics.total(METRIC.ptyBytesSent)).toBe(400);
    // Echoes are timed from each write's planned time: 99 ms minus its offset.
    for (const ms of metrics.values(METRIC.ptyEcho)) expect(ms).toBeGreaterThanOrEqual(0);
    for (const ms of metrics.values(METRIC.ptyEcho)) expect(ms).toBeLessThan(100);
    // The double's "$ " and each write echoed with "\r" as "\r\n".
    expect(metrics.total(METRIC.ptyBytesReceived)).toBe(2 + 10 * 41);

    // 100 ms: the planned reconnect drains (50 ms of quiet), closes and reopens the same id.
    await clock.advanceAsync(1);
    await clock.advanceAsync(50);
    await eventually(() => metrics.total(METRIC.ptyReplayChecks) === 1, 'the replay check');
    expect(metrics.total(METRIC.ptyReplayMismatches)).toBe(0);
    expect(metrics.total(METRIC.ptyReconnects)).toBe(1);
    expect(metrics.total(METRIC.ptyBytesReceived)).toBe(2 * (2 + 10 * 41)); // the replay: all of it again
    expect(metrics.total(METRIC.ptyBytesSent)).toBe(400); // no write while reconnecting

    controller.abort();
    let stopped = false;
    void running.then(() => (stopped = true));
    await eventually(async () => {
      await clock.advanceAsync(0);
      return stopped;
    }, 'the workload to stop');
    expect(metrics.values(METRIC.ptyEcho)).toHaveLength(10);
    expect(metrics.total(METRIC.ptyEchoLost)).toBe(0);
    expect(metrics.total(METRIC.ptyCloses)).toBe(0); // every close was the session's own
  });
});
