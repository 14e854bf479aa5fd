import { fromBinary } from '@bufbuild/protobuf';
import { createRng } from '../src/core/rng.js';
import { createAgentNode } from '../src/protocol/node-factory.js';
import { TaggedNodeProto } from '../src/protocol/v2/tagged-node-proto.js';
import { CoordinateRequestSchema } from '../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { decodeCoordinateRequest, decodeNode } from '../src/server/v2/coordinate-decode.js';
const t = new TaggedNodeProto(createAgentNode(createRng('x').fork('agent/0')));
const N = 300_000;
const reqs = Array.from({ length: 1000 }, (_, i) => t.encodeUpdateSelf(i, Date.now()));
const nodesB = reqs.map((r) => r.subarray(r.length - (r.length - 4)));
console.log('fast?', decodeNode(reqs[0]!.subarray(reqs[0]![1]! < 128 ? 4 : 6)) !== undefined, reqs[0]!.subarray(0, 8));
function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 30000; i++) f(i);
  const s = process.cpuUsage();
  for (let i = 0; i < N; i++) f(i);
  const u = process.cpuUsage(s);
  console.log(name.padEnd(20), (((u.user + u.system) / N)).toFixed(2), 'µs');
}
const nb = reqs.map((r) => { const d = fromBinary(CoordinateRequestSchema, r); return r; });
time('fromBinary', (i) => fromBinary(CoordinateRequestSchema, reqs[i % 1000]!));
time('decodeCoordReq', (i) => decodeCoordinateRequest(reqs[i % 1000]!));
const inner = reqs.map((r) => { let at = 1; while (r[at]! & 0x80) at++; at++; at++; while (r[at]! & 0x80) at++; at++; return r.subarray(at); });
console.log('inner fast?', decodeNode(inner[0]!) !== undefined);
time('decodeNode', (i) => decodeNode(inner[i % 1000]!));
const objs = Array.from({ length: 1000 }, () => ({}));
