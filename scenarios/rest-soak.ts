// A fleet plus a steady open-model REST mix (autocannon at a fixed rate, so latency is measured
// from the intended send time): the dashboard and CLI traffic on top of the agents.
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'rest-soak',
  description: '100 agents plus 200 req/s of REST over 2 minutes',
  seed: 'soak',
  duration: '2m30s',
  server: { reportInterval: '30s', rateLimit: -1 },
  agents: {
    count: 100,
    rampUp: '15s',
    auth: { token: 1 },
  },
  rest: {
    mix: {
      'GET /{id}': 4,
      'GET /{id}/listening-ports': 2,
      'GET /{id}/connection': 1,
      'GET /me/metadata': 2,
      'POST /me/report-stats': 1,
    },
    model: 'open',
    rate: 200,
    connections: 20,
    startAfter: '20s',
    duration: '2m',
  },
  thresholds: ['error_rate < 1%', 'p99(GET /{id}) < 250ms', 'p99(GET /{id}/listening-ports) < 250ms'],
});
