import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { createAgentNode, createClientNode } from '../../../src/protocol/node-factory.js';
import { CoordinateRequestSchema, NodeSchema } from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { nodeToProto } from '../../../src/protocol/v2/node-convert.js';
import { TaggedNodeProto } from '../../../src/protocol/v2/tagged-node-proto.js';
import { decodeCoordinateRequest, decodeNode } from '../../../src/server/v2/coordinate-decode.js';

/** A length-delimited field (number < 16) around `payload`. */
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
const updateSelf = (nodeBytes: Uint8Array): Buffer => field(1, field(1, nodeBytes));
const encode = (init: MessageInitShape<typeof NodeSchema>): Uint8Array => toBinary(NodeSchema, create(NodeSchema, init));

/** The hand decoder gives exactly what protobuf-es gives (or protobuf-es's own answer). */
function same(request: Uint8Array): void {
  expect(decodeCoordinateRequest(request).request).toEqual(fromBinary(CoordinateRequestSchema, request));
}

describe('decodeCoordinateRequest: update_self by hand, everything else by protobuf-es', () => {
  const rng = createRng('decode');
  const nodes = [
    ...Array.from({ length: 20 }, (_, i) => nodeToProto(createAgentNode(rng.fork(`a${i}`)))),
    ...Array.from({ length: 20 }, (_, i) => nodeToProto(createClientNode(rng.fork(`c${i}`), { nowMs: 1_700_000_000_123 + i }))),
  ];

  it('decodes generated agent and client nodes by hand, identical to fromBinary', () => {
    for (const node of nodes) {
      const bytes = toBinary(NodeSchema, node);
      expect(decodeNode(bytes)).toEqual(fromBinary(NodeSchema, bytes));
      same(updateSelf(bytes));
    }
  });

  it('decodes the load generator tagged updates by hand and keeps their node bytes', () => {
    const template = new TaggedNodeProto(createAgentNode(rng.fork('tagged')));
    for (const seq of [0, 1, 65_535, 65_536, 2 ** 40]) {
      const request = template.encodeUpdateSelf(seq, 1_700_000_000_000 + seq / 7);
      same(request);
      const { nodeBytes } = decodeCoordinateRequest(request);
      // The node's bytes are the tail of the request (after two tags and lengths), as sent.
      expect(Buffer.from(nodeBytes!).equals(Buffer.from(request.subarray(request.length - nodeBytes!.length)))).toBe(true);
      expect(decodeNode(nodeBytes!)).toBeDefined();
    }
  });

  const edge: [string, MessageInitShape<typeof NodeSchema>][] = [
    ['empty node', {}],
    ['negative id', { id: -5n }],
    ['int64 extremes', { id: -(2n ** 63n) }],
    ['largest id', { id: 2n ** 63n - 1n }],
    ['a 7-byte and an 8-byte id', { id: 2n ** 48n + 3n }],
    ['id 2^49', { id: 2n ** 49n }],
    ['as_of zero (present, empty)', { asOf: { seconds: 0n, nanos: 0 } }],
    ['as_of negative', { asOf: { seconds: -62_135_596_800n, nanos: -1 } }],
    ['negative preferred_derp', { preferredDerp: -1 }],
    ['maps', { derpLatency: { '1-v4': 0.25, '2-v6': -0, '3': Number.MAX_VALUE, '': 1e-300 }, derpForcedWebsocket: { [-3]: 'why', 0: '', 7: 'x' } }],
    ['empty strings in lists', { addresses: [''], allowedIps: ['', ''], endpoints: ['e', ''] }],
    ['empty key bytes (zero value)', { key: new Uint8Array(0), disco: '' }],
  ];
  for (const [name, init] of edge) {
    it(`takes ${name} by hand, identical to fromBinary`, () => {
      const bytes = encode(init);
      expect(decodeNode(bytes)).toBeDefined();
      expect(decodeNode(bytes)).toEqual(fromBinary(NodeSchema, bytes));
      same(updateSelf(bytes));
    });
  }

  it('leaves non-ASCII strings, unknown and repeated singular fields to protobuf-es', () => {
    const plain = encode({ id: 9n, disco: 'd', addresses: ['a'] });
    const cases: Uint8Array[] = [
      encode({ disco: 'dïsco' }),
      encode({ derpLatency: { ré: 1 } }),
      Buffer.concat([plain, Buffer.from([0x98, 0x06, 0x01])]), // unknown field 99
      Buffer.concat([plain, Buffer.from([0x08, 0x07])]), // id twice: the last wins
      Buffer.concat([plain, field(2, Buffer.from([0x08, 0x01])), field(2, Buffer.from([0x10, 0x02]))]), // as_of twice: merged
      Buffer.concat([plain, field(6, Buffer.from([0x0a, 0x01, 0x61]))]), // a map entry without a value
      Buffer.concat([plain, field(6, Buffer.from([0x0a, 0x01, 0x61, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])), field(6, Buffer.from([0x0a, 0x01, 0x61]))]), // a key twice
    ];
    for (const bytes of cases) {
      same(updateSelf(bytes));
      // The map entry cases are taken by hand and must agree; the others fall back.
      const byHand = decodeNode(bytes);
      if (byHand) expect(byHand).toEqual(fromBinary(NodeSchema, bytes));
    }
    expect(decodeNode(cases[0]!)).toBeUndefined();
    expect(decodeNode(cases[2]!)).toBeUndefined();
    expect(decodeNode(cases[3]!)).toBeUndefined();
  });

  it('leaves other request shapes to protobuf-es, and fails where protobuf-es fails', () => {
    const node = encode({ id: 1n });
    const withTunnel = toBinary(
      CoordinateRequestSchema,
      create(CoordinateRequestSchema, { updateSelf: { node: fromBinary(NodeSchema, node) }, addTunnel: { id: new Uint8Array(16) } }),
    );
    for (const request of [
      withTunnel,
      toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, { disconnect: {} })),
      new Uint8Array(0),
      Buffer.concat([updateSelf(node), updateSelf(node)]),
    ]) {
      same(request);
    }
    for (const broken of [
      Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x08]),
      Buffer.from([0x0a, 0x02, 0x0a, 0x02, 0x08, 0xff]),
      Buffer.from([0x0a, 0x02, 0x0a, 0x00, 0x07]),
    ]) {
      let expected: unknown;
      try {
        expected = fromBinary(CoordinateRequestSchema, broken);
      } catch (error) {
        expected = error;
      }
      if (expected instanceof Error) expect(() => decodeCoordinateRequest(broken)).toThrow();
      else expect(decodeCoordinateRequest(broken).request).toEqual(expected);
    }
  });
});

describe('decodeCoordinateRequest keeps nothing of the inbound buffer', () => {
  it('decodes the node from a copy, by hand and by protobuf-es', () => {
    const nodeBytes = encode({ id: 3n, key: Uint8Array.from([1, 2, 3]), addresses: ['a'] });
    for (const request of [updateSelf(nodeBytes), updateSelf(encode({ id: 3n, key: Uint8Array.from([1, 2, 3]), disco: 'dïsco' }))]) {
      const decoded = decodeCoordinateRequest(request);
      const kept = Buffer.from(decoded.nodeBytes!);
      request.fill(0); // whatever happens to the inbound buffer, the node and its bytes stay
      expect([...decoded.request.updateSelf!.node!.key]).toEqual([1, 2, 3]);
      expect(Buffer.from(decoded.nodeBytes!).equals(kept)).toBe(true);
    }
  });
});
