import { fromBinary, toBinary, equals } from '@bufbuild/protobuf';
import { createRng } from '../src/core/rng.js';
import { createAgentNode } from '../src/protocol/node-factory.js';
import { TaggedNodeProto } from '../src/protocol/v2/tagged-node-proto.js';
import { CoordinateRequestSchema, NodeSchema } from '../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { authorizeCoordinate } from '../src/server/v2/coordinatee-auth.js';
import { encodeResponse, rememberNodeBytes, updateSelfNodeBytes } from '../src/server/v2/coordinate-wire.js';
import { fromProtoRequest, nodesEqual } from '../src/server/v2/coordinate-convert.js';

const t = new TaggedNodeProto(createAgentNode(createRng('x').fork('agent/0')));
const N = 200_000;
const reqs = Array.from({ length: 1000 }, (_, i) => t.encodeUpdateSelf(i, Date.now()));
console.log('request bytes', reqs[0]!.length);
function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 20000; i++) f(i);
  const s = process.cpuUsage();
  for (let i = 0; i < N; i++) f(i);
  const u = process.cpuUsage(s);
  console.log(name.padEnd(20), (((u.user + u.system) / N)).toFixed(2), 'µs');
}
const decoded = reqs.map((r) => fromBinary(CoordinateRequestSchema, r));
const AG = '11111111-2222-3333-4444-555555555555';
time('fromBinary', (i) => fromBinary(CoordinateRequestSchema, reqs[i % 1000]!));
time('nodeBytes+remember', (i) => { const b = updateSelfNodeBytes(reqs[i % 1000]!); rememberNodeBytes(decoded[i % 1000]!.updateSelf!.node!, b!); });
time('fromProtoRequest', (i) => fromProtoRequest(decoded[i % 1000]!));
const conv = decoded.map((d) => (fromProtoRequest(d) as any).request);
time('authorize', (i) => authorizeCoordinate({ kind: 'agent', agentId: AG }, conv[i % 1000]));
time('equals', (i) => equals(NodeSchema, decoded[i % 1000]!.updateSelf!.node!, decoded[(i + 1) % 1000]!.updateSelf!.node!));
time('encodeResponse', (i) => encodeResponse({ peerUpdates: [{ id: AG, kind: 'NODE', node: decoded[i % 1000]!.updateSelf!.node!, reason: 'node update' }] }));
time('toBinary node', (i) => toBinary(NodeSchema, decoded[i % 1000]!.updateSelf!.node!));
time('nodesEqual', (i) => nodesEqual(decoded[i % 1000]!.updateSelf!.node!, decoded[(i + 1) % 1000]!.updateSelf!.node!));
const { decodeCoordinateRequest } = await import('../src/server/v2/coordinate-decode.js');
time('decodeCoordReq', (i) => decodeCoordinateRequest(reqs[i % 1000]!));
time('fromBinary again', (i) => fromBinary(CoordinateRequestSchema, reqs[i % 1000]!));
