// Terminal traffic: every agent gets one reconnecting-PTY session typing 40 KB/s (what Coder's
// own "workspace traffic" scale test moves per user), reconnecting every 30 s. Echo latency is
// measured per write from its intended send time; every reconnect's replay is checked against
// the tail of what the session had received. About 45 s. Against a real Coder (`--target`) the
// PTY needs real workspace agents (see the README, "Terminal traffic").
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'terminal-traffic',
  description: '20 agents x 1 terminal at 40 KB/s, reconnect every 30 s, echo latency and replay checks',
  seed: 'terminal',
  duration: '45s',
  server: { rateLimit: -1 },
  agents: { count: 20, rampUp: '3s', auth: { token: 1 } },
  pty: {
    sessionsPerAgent: 1,
    bytesPerSecond: 40_960,
    // 128-byte lines on a 200-column terminal: no line editor wraps them, so markers stay whole.
    messageSize: 128,
    width: 200,
    height: 50,
    jitter: 0.5,
    reconnectEvery: '30s',
    // Let the agents connect first: the PTY route answers 400 for an agent that is not connected.
    startAfter: '4s',
  },
  thresholds: ['p99(echo) < 100ms', 'replay_mismatches == 0', 'echo_lost == 0', 'errors(GET /{id}/pty) == 0'],
});
