// Coordinator throughput over the v2 agent API (the v2 twin of coordinator-bench.ts): v2 fake
// agents on /me/rpc and v2 peers on /{id}/coordinate?version=2.0 exchange tagged node updates
// through the embedded server's v2 coordinator (Tailnet.Coordinate over yamux + dRPC);
// propagation is recorded in HDR histograms and every update is accounted for (lost,
// duplicated, stale), exactly as over v1.
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'coordinator-bench-v2',
  description: '100 v2 agents x 2 v2 peers, 2 node updates/s each way',
  seed: 'coord',
  duration: '45s',
  server: { rateLimit: -1 },
  agents: {
    // Peers follow: one knob for the agent API of agents and peers alike.
    protocol: 'v2',
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
