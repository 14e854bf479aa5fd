import { readFileSync, readdirSync } from 'node:fs';
import { startReferenceServerProcess } from '../src/server/server-process.js';
import { AgentSideV2, PeerSideV2 } from '../src/workloads/peers/v2/pair-load-v2.js';
import { AgentSide, PeerSide } from '../src/workloads/peers/pair-load.js';
const proto = process.argv[2] ?? 'v2';
const n = 1000;
const threads = (pid: number) => {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    const name = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
    const f = raw.split(') ')[1]!.split(' ');
    const k = `${name}`;
    out.set(k, (out.get(k) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
  }
  return out;
};
const server = await startReferenceServerProcess({ port: 0, agents: n, rateLimit: -1, heartbeatMs: 600000 });
const A = proto === 'v2' ? AgentSideV2 : AgentSide;
const P = proto === 'v2' ? PeerSideV2 : PeerSide;
const agents = await A.connect(server.url, server.credentials!, n);
const peers = await P.connect(server.url, server.credentials!, n);
await agents.step(2000, 2000);
await new Promise((r) => setTimeout(r, 1000));
peers.take();
const t0 = threads(server.pid!);
await agents.step(3000, 6000);
await new Promise((r) => setTimeout(r, 500));
const t1 = threads(server.pid!);
const got = peers.arrived();
for (const [k, v] of t1) { const d = v - (t0.get(k) ?? 0); if (d > 0) console.log(proto, k.padEnd(20), ((d * 1000) / got).toFixed(1), 'µs/upd'); }
await Promise.all([agents.close(), peers.close()]);
await server.close();
