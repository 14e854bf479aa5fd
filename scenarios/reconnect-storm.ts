// Every agent loses its coordinate socket at once, then half of them again: do they all come
// back, and how long does the server take to absorb the storm? Embedded server only (faults).
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'reconnect-storm',
  description: '150 agents; all coordinate sockets dropped at 20 s, half again at 40 s',
  seed: 'storm',
  duration: '1m',
  server: { reportInterval: '10s', rateLimit: -1 },
  agents: {
    count: 150,
    rampUp: '10s',
    auth: { token: 1 },
    nodeUpdateInterval: '10s',
  },
  faults: [
    { at: '20s', action: 'drop-agent-sockets', fraction: 1 },
    { at: '40s', action: 'drop-agent-sockets', fraction: 0.5 },
  ],
  thresholds: [
    'reconnects >= 200', // 150 + ~75 drops; fewer means agents stayed down
    'connected_ratio >= 0.95',
    'p99(GET /me/coordinate) < 1s',
    'error_rate < 2%',
  ],
});
