// `npm run smoke:v2`: the smoke scenario with the v2 agent API (dRPC over yamux on /me/rpc,
// docs/protocol-v2.md) against the embedded server: manifest, startup, lifecycle, logs, stats,
// app health and Coordinate for a small fleet with every auth mode, in about 20 s.
import { defineScenario } from '../src/scenario/define.js';

export default defineScenario({
  name: 'smoke-v2',
  description: '50 v2 agents, all four auth modes, the v2 routines over /me/rpc against the embedded server',
  seed: 'smoke',
  duration: '20s',
  server: {
    reportInterval: '2s', // short, so a 20 s run reports stats several times per agent
    rateLimit: -1, // 50 agents behind one loopback IP would otherwise share a bucket
  },
  agents: {
    count: 50,
    protocol: 'v2',
    rampUp: '5s',
    auth: { token: 1, aws: 1, azure: 1, google: 1 },
    nodeUpdateInterval: '5s',
    apps: { checkInterval: '1s', healthyAfter: '2s', flapRate: 0.02 },
    lifecycle: { outcomes: { ready: 9, start_error: 1 }, startupDuration: '1s' },
  },
  thresholds: ['error_rate < 1%', 'connected_ratio >= 0.99', 'p99(RPC /coder.agent.v2.Agent/UpdateStats) < 500ms'],
});
