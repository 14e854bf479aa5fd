// coderd restarts mid-run: the port closes, every connection dies, and the same address answers
// again 5 s later with its state intact. Does every agent come back, and how fast? Embedded
// server only (restart-target acts on fleetsim's own server); for a real deployment, the
// network fault `refuse` in scenarios/flaky-network.ts plays the same outage through the proxy.
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'coderd-restart',
  description: '30 agents; the embedded server goes down at 12 s for 5 s and comes back on the same port',
  seed: 'restart',
  duration: '30s',
  server: { reportInterval: '2s', rateLimit: -1 },
  agents: {
    count: 30,
    rampUp: '4s',
    auth: { token: 1 },
    nodeUpdateInterval: '2s',
  },
  faults: [{ at: '12s', action: 'restart-target', downFor: '5s' }],
  thresholds: [
    'recovery(restart-target) < 30s', // agents connected and their p99 back to before the restart
    'connected_ratio >= 0.95',
    'reconnects >= 30', // every agent had to come back at least once
  ],
});
