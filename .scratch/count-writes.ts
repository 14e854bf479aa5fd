import WebSocket from 'ws';
import { createReferenceServer } from '../src/server/reference-server.js';
import { AgentSideV2, PeerSideV2 } from '../src/workloads/peers/v2/pair-load-v2.js';
import { AgentSide, PeerSide } from '../src/workloads/peers/pair-load.js';

const proto = process.argv[2] ?? 'v2';
const counts = new Map<string, number>();
const orig = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: WebSocket & { _isServer: boolean }, data: unknown, ...rest: unknown[]) {
  const k = `${this._isServer ? 'server' : 'client'}`;
  counts.set(k, (counts.get(k) ?? 0) + 1);
  return (orig as (...a: unknown[]) => void).call(this, data, ...rest);
} as typeof orig;
const server = await createReferenceServer({ port: 0, agents: 20, rateLimit: -1, identity: false, host: '127.0.0.1' });
const A = proto === 'v2' ? AgentSideV2 : AgentSide;
const P = proto === 'v2' ? PeerSideV2 : PeerSide;
const agents = await A.connect(server.url, server.credentials, 20);
const peers = await P.connect(server.url, server.credentials, 20);
await new Promise((r) => setTimeout(r, 500));
counts.clear();
peers.take();
await agents.step(1000, 2000);
await new Promise((r) => setTimeout(r, 500));
console.log(proto, 'arrived', peers.arrived(), Object.fromEntries(counts));
await Promise.all([agents.close(), peers.close()]);
await server.close();
