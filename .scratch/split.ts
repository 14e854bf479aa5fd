import { readFileSync } from 'node:fs';
import { startReferenceServerProcess } from '../src/server/server-process.js';
import { AgentSideV2, PeerSideV2 } from '../src/workloads/peers/v2/pair-load-v2.js';
import { AgentSide, PeerSide } from '../src/workloads/peers/pair-load.js';
const proto = process.argv[2] ?? 'v2';
const rate = Number(process.argv[3] ?? 3000);
const n = 1000;
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return [Number(f[11]) * 10, Number(f[12]) * 10]; };
const server = await startReferenceServerProcess({ port: 0, agents: n, rateLimit: -1, heartbeatMs: 600000 });
const A = proto === 'v2' ? AgentSideV2 : AgentSide;
const P = proto === 'v2' ? PeerSideV2 : PeerSide;
const agents = await A.connect(server.url, server.credentials!, n);
const peers = await P.connect(server.url, server.credentials!, n);
await agents.step(2000, 2000);
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 3; i++) {
  peers.take();
  const [u0, s0] = cpu(server.pid!);
  await agents.step(rate, 3000);
  await new Promise((r) => setTimeout(r, 500));
  const [u1, s1] = cpu(server.pid!);
  const got = peers.arrived();
  console.log(proto, rate, 'delivered', got, 'user µs/upd', ((u1! - u0!) * 1000 / got).toFixed(1), 'sys µs/upd', ((s1! - s0!) * 1000 / got).toFixed(1));
}
await Promise.all([agents.close(), peers.close()]);
await server.close();
