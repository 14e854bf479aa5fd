// A bigger fleet held steady for a few minutes: the everyday background load of a deployment.
// Against a real Coder: fleetsim run scenarios/steady-fleet.ts --target URL --credentials FILE
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'steady-fleet',
  description: '300 agents ramped over 2 minutes, held for 2m45s, ramped down over 15 s',
  seed: 'steady',
  duration: '5m',
  // coderd's default rate limit (512/min per IP and path) stays on, as behind a NAT: stats once
  // a minute fit under it, and the 2-minute ramp keeps the start-up burst (two lifecycle posts,
  // version, metadata per agent) at ~300/min per path. A faster ramp of 300 agents gets 429s.
  server: { reportInterval: '1m', rateLimit: 512 },
  agents: {
    count: 300,
    rampUp: '2m',
    rampDown: '15s',
    auth: { token: 3, aws: 1, google: 1 },
    nodeUpdateInterval: '30s',
    apps: { flapRate: 0.005 },
    lifecycle: { outcomes: { ready: 98, start_error: 1, start_timeout: 1 } },
  },
  thresholds: [
    'error_rate < 0.5%',
    // The fleet ramps down to 0 at the end, so gate on the peak, not on who is left at the end.
    'peak_connected_ratio >= 0.99',
    'p95(POST /me/report-stats) < 200ms',
    'p99(GET /me/metadata) < 500ms',
  ],
});
