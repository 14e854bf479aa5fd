import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { formatPlan, planScenario } from '../../src/scenario/plan.js';

/**
 * Agents 1-2 from the PTY window's start (2s) to its end (18s); agent 3 from 3s to 8s and again
 * from 10s; agent 4 from 4s to 6s and again from 12s (the fleet stops the newest first).
 */
const dip = validateScenario(
  {
    name: 'dip',
    duration: '20s',
    agents: {
      phases: [
        { duration: '4s', to: 4 },
        { duration: '4s', to: 2 },
        { duration: '4s', to: 4 },
      ],
    },
    pty: { sessionsPerAgent: 2, bytesPerSecond: 1000, messageSize: 64, reconnectEvery: '5s', startAfter: '2s', duration: '16s' },
  },
  'dip',
);

describe('plan: pty', () => {
  const plan = planScenario(dip);

  it('counts sessions, bytes and reconnects of the agents inside the window, leavers and returners included', () => {
    expect(plan.pty).toEqual({
      startMs: 2_000,
      endMs: 18_000,
      sessionsPerAgent: 2,
      bytesPerSecond: 1000,
      messageSize: 64,
      reconnectEveryMs: 5_000,
      // 2 agents at the start, then 3 and 4 join, leave and join again: 6 starts × 2 sessions.
      sessions: 12,
      peakSessions: 8,
      peakBytesPerSecond: 8_000,
      // (16 + 16 + 5 + 8 + 2 + 6) agent-seconds × 2 sessions × 1000 B/s
      expectedBytes: 106_000,
      // whole 5s periods per stretch: 3 + 3 + (1 + 1) + (0 + 1), × 2 sessions
      expectedReconnects: 18,
    });
  });

  it('shows a PTY section in the text plan', () => {
    const text = formatPlan(plan);
    expect(text).toContain('PTY: 2s -> 18s, 2 sessions per agent, 1000 B/s each in 64-byte writes, reconnect every 5s\n');
    expect(text).toContain('  ~12 sessions (peak 8), ~7.8 KiB/s typed at the peak, ~103.5 KiB over the window, ~18 reconnects\n');
  });

  it('without reconnectEvery there are no reconnects; without a pty section no PTY line', () => {
    const steady = planScenario(validateScenario({ name: 's', duration: '10s', agents: { count: 3 }, pty: {} }, 's'));
    expect(steady.pty).toMatchObject({ startMs: 0, endMs: 10_000, sessions: 3, peakSessions: 3, peakBytesPerSecond: 3 * 4096, expectedBytes: 30 * 4096 });
    expect(steady.pty?.expectedReconnects).toBeUndefined();
    expect(formatPlan(steady)).toContain('1 session per agent, 4096 B/s each in 64-byte writes, no planned reconnects\n');
    const none = planScenario(validateScenario({ name: 'n', duration: '10s', agents: { count: 3 } }, 'n'));
    expect(none.pty).toBeUndefined();
    expect(formatPlan(none)).not.toContain('PTY');
  });
});
