import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { createFaultLog } from '../../src/metrics/fault-log.js';
import { scheduleFaultTimeline, type ProxyFaultControl, type ServerFaultControl } from '../../src/runner/faults.js';
import { validateScenario } from '../../src/scenario/load.js';
import type { FaultInput } from '../../src/scenario/faults.js';
import { eventually } from '../helpers/eventually.js';
import { manualClock } from '../helpers/clock.js';

/** Settles promise callbacks queued by the timeline (fake controls answer at once). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(faults: FaultInput[]) {
  const scenario = validateScenario({ name: 't', duration: '1m', faults }, 't');
  const clock = manualClock();
  let endMark: number | undefined;
  const faultLog = createFaultLog({ elapsedMs: () => clock.now(), endElapsedMs: () => endMark });
  const calls: string[] = [];
  const server: ServerFaultControl = {
    dropAgentSockets: async (fraction) => {
      calls.push(`drop ${fraction}`);
      return 3;
    },
    restart: {
      down: async () => {
        calls.push('down');
        return 7;
      },
      up: async () => void calls.push('up'),
    },
    revokeTokens: async (fraction) => {
      calls.push(`revoke ${fraction}`);
      return { revoked: 2, dropped: 2 };
    },
    restoreTokens: async () => {
      calls.push('restore');
      return 2;
    },
  };
  const proxyEnds: (() => void)[] = [];
  const proxy: ProxyFaultControl = {
    apply: async (action) => {
      calls.push(`proxy ${action.action}`);
      return { affected: 4, ended: new Promise<void>((resolve) => proxyEnds.push(resolve)) };
    },
  };
  const lines: string[] = [];
  const controller = new AbortController();
  const timeline = scheduleFaultTimeline({
    faults: scenario.faults,
    server,
    proxy,
    faultLog,
    elapsedMs: () => clock.now(),
    signal: controller.signal,
    log: createLogger({ write: (line) => lines.push(line) }),
    clock,
  });
  return { clock, faultLog, calls, proxyEnds, lines, controller, timeline, markEnd: () => (endMark = clock.now()) };
}

describe('scheduleFaultTimeline', () => {
  it('applies each fault at its time and records its actual window', async () => {
    const t = setup([
      { at: '1s', action: 'drop-agent-sockets', fraction: 0.5 },
      { at: '2s', action: 'restart-target', downFor: '3s' },
      { at: '10s', action: 'revoke-tokens', fraction: 0.25 },
      { at: '12s', action: 'restore-tokens' },
      { at: '20s', action: 'latency', ms: 50, duration: '4s' },
    ]);
    await t.clock.advanceAsync(1_000);
    await flush();
    expect(t.calls).toEqual(['drop 0.5']);
    await t.clock.advanceAsync(1_000);
    await flush();
    expect(t.calls).toEqual(['drop 0.5', 'down']);
    await t.clock.advanceAsync(3_000);
    await eventually(() => t.calls.includes('up'), 'server back up');
    await t.clock.advanceAsync(7_000);
    await flush();
    await t.clock.advanceAsync(8_000);
    await flush();
    expect(t.calls).toEqual(['drop 0.5', 'down', 'up', 'revoke 0.25', 'restore', 'proxy latency']);
    // The proxy says when the latency ended (here at 24 s, as the proxy's own timer would).
    await t.clock.advanceAsync(4_000);
    t.proxyEnds[0]!();
    await flush();
    expect(t.faultLog.windows()).toEqual([
      { action: 'drop-agent-sockets', atMs: 1_000, endedAtMs: 1_000 },
      { action: 'restart-target', atMs: 2_000, endedAtMs: 5_000 },
      { action: 'revoke-tokens', atMs: 10_000, endedAtMs: 12_000 },
      { action: 'latency', atMs: 20_000, endedAtMs: 24_000 },
    ]);
    expect(t.lines).toEqual([
      '[info] fault drop-agent-sockets at 1.0s: dropped 3 agent socket(s) (instant)',
      '[info] fault restart-target started at 2.0s: embedded server down, 7 connection(s) cut; back in 3000 ms',
      '[info] fault restart-target ended at 5.0s: listening again on the same port',
      '[info] fault revoke-tokens started at 10.0s: 2 agent token(s) revoked, 2 socket(s) closed',
      '[info] fault revoke-tokens ended at 12.0s (restore-tokens): 2 token(s) accepted again',
      '[info] fault latency started at 20.0s: 4 connection(s) affected; ends in 4000 ms',
      '[info] fault latency ended at 24.0s',
    ]);
    t.timeline.cancel();
  });

  it('a run that stops mid-fault leaves the window open to the end mark and brings the server back', async () => {
    const t = setup([
      { at: '1s', action: 'restart-target', downFor: '30s' },
      { at: '40s', action: 'drop-agent-sockets' },
    ]);
    await t.clock.advanceAsync(1_000);
    await flush();
    await t.clock.advanceAsync(4_000);
    t.markEnd();
    t.controller.abort('SIGINT');
    t.timeline.cancel();
    await eventually(() => t.calls.includes('up'), 'server brought back by cancel');
    await t.clock.advanceAsync(60_000);
    await flush();
    expect(t.calls).toEqual(['down', 'up']);
    expect(t.faultLog.windows()).toEqual([{ action: 'restart-target', atMs: 1_000, endedAtMs: 5_000 }]);
  });
});
