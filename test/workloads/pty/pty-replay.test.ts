import { afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../../src/metrics/names.js';
import { testCredentials } from '../peers/harness.js';
import { runPty } from './harness.js';
import { startReplayDouble } from './replay-double.js';

let double: Awaited<ReturnType<typeof startReplayDouble>> | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

describe('pty replay check against a test double', () => {
  it('catches one corrupted replay byte, counts it once and logs its offset', async () => {
    double = await startReplayDouble({ corruptReplays: 1, corruptAt: 5 });
    const { metrics, logs } = await runPty(testCredentials(double.url, 1), {
      bytesPerSecond: 4000,
      messageSize: 40,
      jitter: 0,
      reconnectEvery: '150ms',
      duration: '800ms',
    });
    const checks = metrics.total(METRIC.ptyReplayChecks);
    expect(checks).toBeGreaterThanOrEqual(2);
    expect(checks).toBe(double.replays);
    expect(metrics.total(METRIC.ptyReplayMismatches)).toBe(1);
    const warned = logs.filter((l) => l.includes('replay mismatch'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/byte 5 of \d+ differs \(expected 0x[0-9a-f]{2}, got 0x[0-9a-f]{2}\)/);
    expect(metrics.total(METRIC.ptyEchoLost)).toBe(0);
  });

  it('passes every replay when nothing is corrupted', async () => {
    double = await startReplayDouble({ corruptReplays: 0, corruptAt: 0 });
    const { metrics } = await runPty(testCredentials(double.url, 1), {
      bytesPerSecond: 4000,
      messageSize: 40,
      jitter: 0,
      reconnectEvery: '150ms',
      duration: '500ms',
    });
    expect(metrics.total(METRIC.ptyReplayChecks)).toBeGreaterThanOrEqual(1);
    expect(metrics.total(METRIC.ptyReplayMismatches)).toBe(0);
  });
});
