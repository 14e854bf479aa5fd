// A bad day on the network between the fleet and Coder: a slow link, a load balancer resetting
// flows, a short partition. Every action goes through fleetsim's fault proxy, so this runs the
// same against the embedded server and a real deployment (`--target http://coder:7080
// --credentials creds.json`; the proxy carries plain HTTP only, see README "Faults").
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'flaky-network',
  description: '30 agents; +100 ms latency on half the connections, then resets, then a 3 s blackhole',
  seed: 'flaky',
  duration: '34s',
  server: { reportInterval: '2s', rateLimit: -1 },
  agents: {
    count: 30,
    rampUp: '4s',
    auth: { token: 1 },
    nodeUpdateInterval: '2s',
  },
  faults: [
    { at: '7s', action: 'latency', ms: 100, jitter: 20, duration: '6s', fraction: 0.5 },
    { at: '16s', action: 'reset', fraction: 0.5 },
    { at: '23s', action: 'blackhole', duration: '3s', fraction: 0.25, direction: 'downstream' },
  ],
  // No recovery threshold on the blackhole: its held bytes arrive in one burst and loopback p99s
  // on a busy machine can take longer than the rest of the run to settle; it is reported anyway.
  thresholds: ['recovery(latency) < 10s', 'recovery(reset) < 15s', 'connected_ratio >= 0.9'],
});
