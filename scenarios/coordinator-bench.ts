// Coordinator throughput: agents and peers exchange tagged node updates; propagation latency is
// recorded in HDR histograms and every update is accounted for (lost, duplicated, stale).
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'coordinator-bench',
  description: '100 agents x 2 peers, 2 node updates/s each way',
  seed: 'coord',
  duration: '45s',
  server: { rateLimit: -1 },
  agents: {
    phases: [
      { name: 'connect', duration: '10s', to: 100 },
      { name: 'measure', duration: '35s', to: 100 },
    ],
    auth: { token: 1 },
  },
  peers: {
    perAgent: 2,
    updateRate: 2,
    agentUpdateRate: 2,
    jitter: 0.1,
    drainWindow: '2s',
    auth: 'cookie',
  },
  thresholds: ['lost == 0', 'p99(propagation) < 50ms'],
});
