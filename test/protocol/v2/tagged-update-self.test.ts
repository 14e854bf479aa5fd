import { create, equals, fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { createClientNode } from '../../../src/protocol/node-factory.js';
import { readNodeTag, tagNode } from '../../../src/protocol/node-tag.js';
import {
  CoordinateRequestSchema,
  CoordinateResponseSchema,
  CoordinateResponse_PeerUpdate_Kind,
} from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { TAILNET_RPC } from '../../../src/protocol/v2/messages.js';
import { nodeFromProto, nodeToProto } from '../../../src/protocol/v2/node-convert.js';
import {
  DISCONNECT_REQUEST,
  encodeAddTunnel,
  readTagSeqsProto,
  TaggedUpdateSelfTemplate,
} from '../../../src/protocol/v2/tagged-update-self.js';
import { uuidToBytes } from '../../../src/protocol/v2/uuid-bytes.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('TaggedUpdateSelfTemplate', () => {
  const node = createClientNode(createRng('tpl'), { nowMs: 0 });
  const template = new TaggedUpdateSelfTemplate(node);

  it('decodes to update_self{nodeToProto(tagNode(node, seq, t))} for small and large seqs and times', () => {
    const cases: [number, number][] = [
      [0, 1700000000000.123],
      [1, 1700000000000],
      [65537, 1700000000001.9996], // µs rounding at the top of a millisecond
      [4294967295, 1700000000002.5],
      [7, 0], // the zero instant: an empty Timestamp
      [8, 999.5],
    ];
    for (const [seq, t] of cases) {
      const decoded = fromBinary(CoordinateRequestSchema, template.encode(seq, t));
      const expected = create(CoordinateRequestSchema, { updateSelf: { node: nodeToProto(tagNode(node, seq, t)) } });
      expect(equals(CoordinateRequestSchema, decoded, expected), `seq ${seq} at ${t}`).toBe(true);
      const back = nodeFromProto(decoded.updateSelf!.node!);
      expect(readNodeTag(back)).toEqual(readNodeTag(tagNode(node, seq, t)));
    }
  });

  it('replaces a tag already on the template node instead of adding a second one', () => {
    const tagged = new TaggedUpdateSelfTemplate(tagNode(node, 99, 1));
    expect(hex(tagged.encode(5, 2))).toBe(hex(template.encode(5, 2)));
  });

  it('add_tunnel and disconnect match the reference vectors (docs/protocol-v2.md §8)', () => {
    expect(hex(encodeAddTunnel('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'))).toBe('1a120a10aaaaaaaabbbbccccddddeeeeeeeeeeee');
    expect(hex(DISCONNECT_REQUEST)).toBe('1200');
    expect(hex(TAILNET_RPC.Coordinate.encodeRequest({ disconnect: {} }))).toBe('1200');
  });

  it('reads tag seqs straight from response bytes', () => {
    const id = uuidToBytes('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    const bytes = TAILNET_RPC.Coordinate.encodeResponse(
      create(CoordinateResponseSchema, {
        peerUpdates: [
          { id, kind: CoordinateResponse_PeerUpdate_Kind.NODE, node: nodeToProto(tagNode(node, 7, 1)), reason: 'node update' },
          { id, kind: CoordinateResponse_PeerUpdate_Kind.NODE, node: nodeToProto(tagNode(node, 70000, 2)), reason: 'node update' },
          { id, kind: CoordinateResponse_PeerUpdate_Kind.NODE, node: nodeToProto(node), reason: 'init' },
        ],
      }),
    );
    expect(readTagSeqsProto(bytes)).toEqual([7, 70000]);
    expect(readTagSeqsProto(template.encode(4294967295, 3))).toEqual([4294967295]);
  });
});
