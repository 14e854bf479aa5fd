import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AgentSideV2, PeerSideV2 } from '../src/workloads/peers/v2/pair-load-v2.js';
import { AgentSide, PeerSide } from '../src/workloads/peers/pair-load.js';
const proto = process.argv[2] ?? 'v2';
const rate = Number(process.argv[3] ?? 3000);
const dir = process.argv[4] ?? '/tmp/coordperf/split-prof';
const n = 1000;
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return [Number(f[11]) * 10, Number(f[12]) * 10]; };
const child = fork(new URL('./server-main.ts', import.meta.url).pathname, [String(n)], { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx'] });
const { url, credentials } = await new Promise<any>((r) => child.once('message', r));
const A = proto === 'v2' ? AgentSideV2 : AgentSide;
const P = proto === 'v2' ? PeerSideV2 : PeerSide;
const agents = await A.connect(url, credentials, n);
const peers = await P.connect(url, credentials, n);
await agents.step(2000, 2000);
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 4; i++) {
  peers.take();
  const [u0, s0] = cpu(child.pid!);
  await agents.step(rate, 3000);
  await new Promise((r) => setTimeout(r, 500));
  const [u1, s1] = cpu(child.pid!);
  const got = peers.arrived();
  console.log(proto, rate, 'delivered', got, 'user µs/upd', ((u1! - u0!) * 1000 / got).toFixed(1), 'sys µs/upd', ((s1! - s0!) * 1000 / got).toFixed(1));
}
await Promise.all([agents.close(), peers.close()]);
child.disconnect();
await new Promise((r) => child.once('exit', r));
