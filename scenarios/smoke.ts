// The scenario `npm start` runs: a small fleet with every auth mode against the embedded server,
// quick enough for a laptop or CI (about 20 s), exercising stats, app health and lifecycle.
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'smoke',
  description: '50 agents, all four auth modes, stats/app-health/lifecycle against the embedded server',
  seed: 'smoke',
  duration: '20s',
  server: {
    reportInterval: '2s', // short, so a 20 s run posts stats several times per agent
    rateLimit: -1, // 50 agents behind one loopback IP would otherwise share a bucket
  },
  agents: {
    count: 50,
    rampUp: '5s',
    auth: { token: 1, aws: 1, azure: 1, google: 1 },
    nodeUpdateInterval: '5s',
    apps: { checkInterval: '1s', healthyAfter: '2s', flapRate: 0.02 },
    lifecycle: { outcomes: { ready: 9, start_error: 1 }, startupDuration: '1s' },
    gitauth: 0.1,
  },
  thresholds: ['error_rate < 1%', 'connected_ratio >= 0.99', 'p99(POST /me/report-stats) < 500ms'],
});
