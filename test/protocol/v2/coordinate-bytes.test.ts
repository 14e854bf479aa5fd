import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { createClientNode } from '../../../src/protocol/node-factory.js';
import { tagNode } from '../../../src/protocol/node-tag.js';
import { CoordinateResponseSchema, CoordinateResponse_PeerUpdate_Kind } from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { TAILNET_RPC } from '../../../src/protocol/v2/messages.js';
import { nodeToProto } from '../../../src/protocol/v2/node-convert.js';
import { DISCONNECT_REQUEST, encodeAddTunnel, readTagSeqsProto } from '../../../src/protocol/v2/coordinate-bytes.js';
import { TaggedNodeProto } from '../../../src/protocol/v2/tagged-node-proto.js';
import { uuidToBytes } from '../../../src/protocol/v2/uuid-bytes.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('v2 coordinate bytes', () => {
  const node = createClientNode(createRng('tpl'), { nowMs: 0 });
  const proto = new TaggedNodeProto(node);

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
    expect(readTagSeqsProto(proto.encodeUpdateSelf(4294967295, 3))).toEqual([4294967295]);
  });
});
