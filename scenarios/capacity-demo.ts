// A target with a known capacity, for trying `fleetsim capacity` on a laptop: the embedded server
// with a cost model that serves at most 1000 / 15 ≈ 66.7 stats reports per second (one worker,
// 15 ms each). Agents report every 500 ms after each answer, so once the queue builds an agent
// waits R = N / 66.7 − 0.5 s: an SLO "p90(POST /me/report-stats) < 250ms" breaks near
// 66.7 × 0.75 ≈ 50 agents. See README "Capacity search".
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'capacity-demo',
  description: 'embedded server that saturates at ~66.7 stats reports/s: the knee for p90 < 250ms is about 50 agents',
  seed: 'capacity-demo',
  duration: '1m',
  server: {
    reportInterval: '500ms',
    rateLimit: -1, // every step's agents share one loopback IP
    capacity: { serviceTime: '15ms', workers: 1, endpoints: ['POST /me/report-stats'] },
  },
  agents: {
    count: 20,
    rampUp: '10s',
    nodeUpdateInterval: '30s',
    apps: { checkInterval: '1s', healthyAfter: '0s' },
  },
  thresholds: ['p90(POST /me/report-stats) < 250ms', 'error_rate < 1%'],
});
