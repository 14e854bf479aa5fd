// The reconnect storm of reconnect-storm.ts with backoffs long enough to span seconds (2 s
// first delay) and full jitter: every agent loses its socket at 20 s and comes back at a
// uniform random moment within 2 s instead of all in the same instant. Compare the fault's
// "peak reconnects/s" with `jitter: 'none'` (edit the line below): without jitter all 150 come
// back in one second (the lock-step wave of a real fleet, whose Go agents do not jitter).
// Embedded server only (faults).
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'reconnect-storm-jitter',
  description: '150 agents, 2 s reconnect backoff with full jitter; all coordinate sockets dropped at 20 s',
  seed: 'storm',
  duration: '40s',
  server: { reportInterval: '10s', rateLimit: -1 },
  agents: {
    count: 150,
    rampUp: '10s',
    auth: { token: 1 },
    nodeUpdateInterval: '10s',
    reconnect: { initial: '2s', max: '10s', jitter: 'full' },
  },
  faults: [{ at: '20s', action: 'drop-agent-sockets', fraction: 1 }],
  thresholds: [
    'reconnects >= 150',
    'connected_ratio >= 0.95',
    // 150 agents over ~2 s: well under all of them in one second.
    'peak_reconnects_per_second < 120',
    'error_rate < 2%',
  ],
});
