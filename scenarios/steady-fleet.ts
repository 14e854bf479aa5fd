// A bigger fleet held steady for a few minutes: the everyday background load of a deployment.
// Against a real Coder: fleetsim run scenarios/steady-fleet.ts --target URL --credentials FILE
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'steady-fleet',
  description: '300 agents ramped over 30 s, held for 4 minutes, ramped down over 15 s',
  seed: 'steady',
  duration: '5m',
  // coderd's default rate limit (512/min per IP and path) stays on: 300 agents posting stats once
  // a minute fit under it from one IP, as they would behind a NAT.
  server: { reportInterval: '1m', rateLimit: 512 },
  agents: {
    count: 300,
    rampUp: '30s',
    rampDown: '15s',
    auth: { token: 3, aws: 1, google: 1 },
    nodeUpdateInterval: '30s',
    apps: { flapRate: 0.005 },
    lifecycle: { outcomes: { ready: 98, start_error: 1, start_timeout: 1 } },
  },
  thresholds: [
    'error_rate < 0.5%',
    'connected_ratio >= 0.99',
    'p95(POST /me/report-stats) < 200ms',
    'p99(GET /me/metadata) < 500ms',
  ],
});
