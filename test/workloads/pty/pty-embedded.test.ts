import { afterEach, describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../../src/metrics/names.js';
import { createReferenceServer, type ReferenceServer } from '../../../src/server/reference-server.js';
import type { CoordinateObserver } from '../../../src/workloads/coordinate-observer.js';
import { systemClock } from '../../../src/core/clock.js';
import { TestAgent } from '../peers/test-agent.js';
import { runPty } from './harness.js';

const noObserver: CoordinateObserver = { agentSent() {}, agentReceived() {}, agentSocket() {} };

let server: ReferenceServer | undefined;
let agents: TestAgent[] = [];
afterEach(async () => {
  for (const a of agents) await a.disconnect();
  agents = [];
  await server?.close();
  server = undefined;
});

async function setup(count: number, connect = true) {
  server = await createReferenceServer({ port: 0, agents: count, rateLimit: -1 });
  agents = server.credentials.agents.map((a, i) => new TestAgent(a.id, server!.url, a.token, noObserver, BigInt(7000 + i), systemClock()));
  if (connect) for (const a of agents) await a.connect();
  else agents = [];
  return server;
}

describe('pty workload against the embedded reference server', () => {
  it('echo latency for every write and exact byte counts', async () => {
    const s = await setup(2);
    const messageSize = 40;
    const { metrics } = await runPty(s.credentials, { sessionsPerAgent: 2, bytesPerSecond: 2000, messageSize, jitter: 0, duration: '300ms' });
    const writes = metrics.values(METRIC.ptyEcho).length;
    expect(writes).toBeGreaterThan(4 * 3); // 4 sessions, one write per 20 ms for 300 ms
    expect(metrics.total(METRIC.ptyBytesSent)).toBe(writes * messageSize);
    expect(metrics.total(METRIC.ptyEchoLost)).toBe(0);
    expect(metrics.total(METRIC.ptySessions)).toBe(4);
    expect(metrics.total(METRIC.ptyOpened)).toBe(4);
    expect(metrics.total(METRIC.ptyReplayChecks)).toBe(0);
    for (const ms of metrics.values(METRIC.ptyEcho)) expect(ms).toBeGreaterThanOrEqual(0);
    // The simulated shell answers each `# {m} ...\r` with its echo ("\r" becomes "\r\n"),
    // "#: command not found\r\n" and a new prompt; every session starts with one prompt.
    let expected = 0;
    for (const agent of s.credentials.agents) {
      const prompt = `coder@${agent.id}:~$ `.length;
      expected += 2 * prompt; // two sessions per agent
    }
    const perWrite = (id: string) => messageSize - 1 + 2 + '#: command not found\r\n'.length + `coder@${id}:~$ `.length;
    // Every agent id has the same length, so every write costs the same.
    expected += writes * perWrite(s.credentials.agents[0]!.id);
    expect(metrics.total(METRIC.ptyBytesReceived)).toBe(expected);
    expect(metrics.values(METRIC.request, { endpoint: ENDPOINT.pty })).toHaveLength(4);
    expect(metrics.total(METRIC.error)).toBe(0);
  });

  it('a reconnect with the same id gets the replay (beyond 64 KiB too) and the check passes', async () => {
    const s = await setup(1);
    const { metrics, logs } = await runPty(s.credentials, {
      bytesPerSecond: 120_000,
      messageSize: 1000,
      jitter: 0,
      reconnectEvery: '700ms',
      duration: '1600ms',
    });
    const checks = metrics.total(METRIC.ptyReplayChecks);
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(metrics.total(METRIC.ptyReconnects)).toBe(checks);
    expect(metrics.total(METRIC.ptyReplayMismatches)).toBe(0);
    expect(metrics.total(METRIC.ptyEchoLost)).toBe(0);
    expect(metrics.total(METRIC.ptySessions)).toBe(1);
    // More than the 64 KiB ring was produced before the first reconnect, so the ring wrapped.
    expect(metrics.total(METRIC.ptyBytesReceived)).toBeGreaterThan(2 * 65536);
    expect(logs.filter((l) => l.includes('mismatch'))).toEqual([]);
  });

  it('a session to an agent that is not connected is a 400 sample, retried, never opened', async () => {
    const s = await setup(1, false);
    const { metrics, logs } = await runPty(s.credentials, { bytesPerSecond: 1000, duration: '400ms' });
    expect(metrics.total(METRIC.ptySessions)).toBe(0);
    const failed = metrics.total(METRIC.ptyFailed);
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(metrics.total(METRIC.error, { endpoint: ENDPOINT.pty, class: 'http_400' })).toBe(failed);
    expect(logs.join('\n')).toContain('Agent state is \\"connecting\\"'.replace(/\\/g, ''));
    expect(logs.join('\n')).not.toContain(s.credentials.userToken);
  });
});
