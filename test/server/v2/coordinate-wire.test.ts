import { create, equals, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { CoordinateRequestSchema, CoordinateResponseSchema, NodeSchema, type Node } from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { nodesEqual, toProtoResponse } from '../../../src/server/v2/coordinate-convert.js';
import { encodeResponse, updateSelfNodeBytes, wireNode, type WireNode } from '../../../src/server/v2/coordinate-wire.js';
import type { CoordinateResponse } from '../../../src/server/v2/tailnet-core.js';

const A = '11111111-2222-3333-4444-555555555555';
const B = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

const protoNode = (id: bigint, extra: MessageInitShape<typeof NodeSchema> = {}): Node =>
  create(NodeSchema, {
    id,
    asOf: { seconds: 1_700_000_000n, nanos: 123_456_000 },
    key: Uint8Array.from([1, 2, 3, 4]),
    disco: 'discokey:ab',
    preferredDerp: 999,
    derpLatency: { '999-v4': 0.012, '1-v6': 0.5 },
    derpForcedWebsocket: { 7: 'forced' },
    addresses: ['fd7a:115c:a1e0::1/128'],
    allowedIps: ['fd7a:115c:a1e0::1/128'],
    endpoints: ['10.0.0.1:41641', '[::1]:41641'],
    ...(extra as object),
  });

/** A node the coordinator holds, encoded by protobuf-es (no bytes from a request). */
const node = (id: bigint, extra: MessageInitShape<typeof NodeSchema> = {}): WireNode => wireNode(protoNode(id, extra));

/** A length-delimited field (tag < 16) around `payload`. */
const field = (number: number, payload: Uint8Array): Buffer => {
  const len: number[] = [];
  for (let n = payload.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      len.push(n);
      break;
    }
    len.push((n % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...len]), payload]);
};

/** What protobuf-es writes for the same response (the reference encoding). */
const reference = (res: CoordinateResponse<WireNode>): Uint8Array => toBinary(CoordinateResponseSchema, toProtoResponse(res));

describe('coordinate-wire: CoordinateResponse bytes without reflection', () => {
  const cases: [string, CoordinateResponse<WireNode>][] = [
    ['one NODE', { peerUpdates: [{ id: A, kind: 'NODE', node: node(5n), reason: 'node update' }] }],
    [
      'a batch of NODEs (init)',
      {
        peerUpdates: [
          { id: A, kind: 'NODE', node: node(5n), reason: 'init' },
          { id: B, kind: 'NODE', node: node(-7n), reason: 'init' },
        ],
      },
    ],
    [
      'DISCONNECTED and LOST',
      {
        peerUpdates: [
          { id: A, kind: 'DISCONNECTED', reason: 'graceful disconnect' },
          { id: B, kind: 'LOST', reason: 'lost' },
        ],
      },
    ],
    ['READY_FOR_HANDSHAKE with an empty reason', { peerUpdates: [{ id: B, kind: 'READY_FOR_HANDSHAKE', reason: '' }] }],
    ['an error alone', { peerUpdates: [], error: 'you do not share a tunnel with "x" — ünïcode' }],
    ['an empty node and a non-ASCII reason', { peerUpdates: [{ id: A, kind: 'NODE', node: wireNode(create(NodeSchema)), reason: 'añadido' }] }],
  ];
  for (const [name, res] of cases) {
    it(`writes the bytes toBinary writes: ${name}`, () => {
      expect(Buffer.from(encodeResponse(res)).toString('hex')).toBe(Buffer.from(reference(res)).toString('hex'));
    });
  }

  it('encodes a response object once, however many recipients get it', () => {
    const res: CoordinateResponse<WireNode> = { peerUpdates: [{ id: A, kind: 'NODE', node: node(9n), reason: 'node update' }] };
    expect(encodeResponse(res)).toBe(encodeResponse(res));
  });

  it('forwards a node as the sender encoded it, and decoding gives the node protobuf-es decoded', () => {
    const sent = protoNode(42n);
    const request = toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, { updateSelf: { node: sent } }));
    const decoded = fromBinary(CoordinateRequestSchema, request).updateSelf!.node!;
    const bytes = updateSelfNodeBytes(request)!;
    expect(Buffer.from(bytes).equals(Buffer.from(toBinary(NodeSchema, sent)))).toBe(true);
    const res: CoordinateResponse<WireNode> = { peerUpdates: [{ id: A, kind: 'NODE', node: wireNode(decoded, bytes), reason: 'node update' }] };
    expect(Buffer.from(encodeResponse(res)).equals(Buffer.from(reference(res)))).toBe(true);
  });

  it('splices a node in a non-canonical encoding (fields out of order, an unknown field) that decodes to the same message', () => {
    const canonical = toBinary(NodeSchema, protoNode(3n));
    // Field 10 (one endpoint) moved to the front, plus unknown field 99 (varint 1) at the end.
    const endpoint = Buffer.from('1.2.3.4:5', 'latin1');
    const moved = Buffer.concat([field(10, endpoint), canonical, Buffer.from([0x98, 0x06, 0x01])]);
    const request = field(1, field(1, moved));
    const decoded = fromBinary(CoordinateRequestSchema, request).updateSelf!.node!;
    const kept = wireNode(decoded, updateSelfNodeBytes(request)!);
    expect(Buffer.from(kept.bytes).equals(moved)).toBe(true);
    const res: CoordinateResponse<WireNode> = { peerUpdates: [{ id: B, kind: 'NODE', node: kept, reason: 'add tunnel' }] };
    const viaSplice = fromBinary(CoordinateResponseSchema, encodeResponse(res));
    const viaReflection = fromBinary(CoordinateResponseSchema, reference(res));
    expect(equals(CoordinateResponseSchema, viaSplice, viaReflection)).toBe(true);
    expect(viaSplice.peerUpdates[0]!.node!.endpoints[0]).toBe('1.2.3.4:5');
  });

  it('finds no single node to splice when protobuf would merge pieces, or the bytes do not parse', () => {
    const one = toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, { updateSelf: { node: protoNode(1n) } }));
    const twice = Buffer.concat([one, one]); // update_self twice: merged by the decoder
    expect(updateSelfNodeBytes(twice)).toBeUndefined();
    const self = one.subarray(2); // UpdateSelf's body: field 1 = the node
    expect(updateSelfNodeBytes(field(1, Buffer.concat([self, self])))).toBeUndefined();
    expect(updateSelfNodeBytes(toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, { disconnect: {} })))).toBeUndefined();
    expect(updateSelfNodeBytes(Uint8Array.from([0x0a, 0x05, 0x0a]))).toBeUndefined(); // truncated
    expect(updateSelfNodeBytes(Uint8Array.from([0x0b, 0x0a, 0x00, 0x0c]))).toBeUndefined(); // a group
    // A node whose bytes are unknown is encoded with protobuf-es.
    const built = protoNode(77n);
    expect(Buffer.from(wireNode(built).bytes).equals(Buffer.from(toBinary(NodeSchema, built)))).toBe(true);
  });
});

describe('nodesEqual: protobuf-es equals written out for Node', () => {
  const base = (): MessageInitShape<typeof NodeSchema> => ({
    id: 5n,
    asOf: { seconds: 100n, nanos: 7 },
    key: Uint8Array.from([1, 2, 3]),
    disco: 'd',
    preferredDerp: 999,
    derpLatency: { a: 0.5, b: 0 },
    derpForcedWebsocket: { 1: 'x' },
    addresses: ['a1'],
    allowedIps: ['i1'],
    endpoints: ['e1', 'e2'],
  });
  // Each variant changes one thing; some leave the node equal under proto.Equal.
  const variants: [string, (n: Record<string, unknown>) => void][] = [
    ['same', () => {}],
    ['id', (n) => (n.id = 6n)],
    ['id zero', (n) => (n.id = 0n)],
    ['as_of absent', (n) => delete n.asOf],
    ['as_of zero (set, empty message)', (n) => (n.asOf = { seconds: 0n, nanos: 0 })],
    ['as_of nanos', (n) => (n.asOf = { seconds: 100n, nanos: 8 })],
    ['as_of seconds', (n) => (n.asOf = { seconds: 101n, nanos: 7 })],
    ['key', (n) => (n.key = Uint8Array.from([1, 2, 4]))],
    ['key shorter', (n) => (n.key = Uint8Array.from([1, 2]))],
    ['key empty', (n) => (n.key = new Uint8Array(0))],
    ['disco', (n) => (n.disco = 'e')],
    ['preferred_derp', (n) => (n.preferredDerp = 1)],
    ['latency value', (n) => (n.derpLatency = { a: 0.5, b: 0.1 })],
    ['latency -0 for 0', (n) => (n.derpLatency = { a: 0.5, b: -0 })],
    ['latency NaN', (n) => (n.derpLatency = { a: NaN, b: 0 })],
    ['latency key order', (n) => (n.derpLatency = { b: 0, a: 0.5 })],
    ['latency extra key', (n) => (n.derpLatency = { a: 0.5, b: 0, c: 1 })],
    ['latency other key', (n) => (n.derpLatency = { a: 0.5, c: 0 })],
    ['latency empty', (n) => (n.derpLatency = {})],
    ['forced websocket', (n) => (n.derpForcedWebsocket = { 1: 'y' })],
    ['forced websocket key', (n) => (n.derpForcedWebsocket = { 2: 'x' })],
    ['addresses', (n) => (n.addresses = ['a2'])],
    ['addresses longer', (n) => (n.addresses = ['a1', 'a2'])],
    ['allowed_ips', (n) => (n.allowedIps = [])],
    ['endpoints order', (n) => (n.endpoints = ['e2', 'e1'])],
    ['endpoints fewer', (n) => (n.endpoints = ['e1'])],
  ];
  for (const [nameA, changeA] of variants) {
    it(`agrees with equals(NodeSchema) for "${nameA}" against every variant`, () => {
      const initA = base() as Record<string, unknown>;
      changeA(initA);
      const a = create(NodeSchema, initA as MessageInitShape<typeof NodeSchema>);
      for (const [nameB, changeB] of variants) {
        const initB = base() as Record<string, unknown>;
        changeB(initB);
        const b = create(NodeSchema, initB as MessageInitShape<typeof NodeSchema>);
        expect([nameB, nodesEqual(a, b)]).toEqual([nameB, equals(NodeSchema, a, b)]);
        expect([nameB, nodesEqual(b, a)]).toEqual([nameB, equals(NodeSchema, b, a)]);
      }
      // A decoded copy (bytes fields are views, maps rebuilt) is equal to its source.
      const decoded = fromBinary(NodeSchema, toBinary(NodeSchema, a));
      expect(nodesEqual(a, decoded)).toBe(equals(NodeSchema, a, decoded));
    });
  }
});
