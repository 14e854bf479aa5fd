import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { createAgentNode } from '../../../src/protocol/node-factory.js';
import { readNodeTag, tagNode } from '../../../src/protocol/node-tag.js';
import { CoordinateRequestSchema } from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { TAILNET_RPC } from '../../../src/protocol/v2/messages.js';
import { nodeFromProto, nodeToProto } from '../../../src/protocol/v2/node-convert.js';
import { TaggedNodeProto } from '../../../src/protocol/v2/tagged-node-proto.js';

describe('TaggedNodeProto', () => {
  it('decodes to the same node as nodeToProto(tagNode(…)), for many seeds, seqs and times', () => {
    for (let i = 0; i < 50; i++) {
      const rng = createRng(`tnp-${i}`);
      const node = createAgentNode(rng, { nowMs: 1_700_000_000_000 });
      const template = new TaggedNodeProto(node);
      const seq = i === 0 ? 0 : rng.int(1, 2 ** 32 - 1);
      // Whole seconds, ms, and µs fractions (the tag keeps µs like v1's as_of).
      const at = 1_700_000_000_000 + (i % 3 === 0 ? i * 1000 : i % 3 === 1 ? i * 1.5 : i * 1.234567);
      const bytes = template.encodeUpdateSelf(seq, at);
      const decoded = TAILNET_RPC.Coordinate.decodeRequest(bytes);
      const expected = nodeToProto(tagNode(node, seq, at));
      expect(decoded.updateSelf?.node).toEqual(expected);
      const back = nodeFromProto(decoded.updateSelf!.node!);
      expect(readNodeTag(back)).toEqual(readNodeTag(tagNode(node, seq, at)));
    }
  });

  it('is the canonical encoding when the fixed fields come first (fields 2 and 10 appended last)', () => {
    const node = createAgentNode(createRng('canon'), { nowMs: 1_700_000_000_000 });
    const bytes = new TaggedNodeProto(node).encodeUpdateSelf(7, 1_700_000_000_123.456);
    const reencoded = toBinary(CoordinateRequestSchema, TAILNET_RPC.Coordinate.decodeRequest(bytes));
    // Same content, same length: only the field order differs from protobuf-es's own writer.
    expect(reencoded.length).toBe(bytes.length);
    expect(toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, TAILNET_RPC.Coordinate.decodeRequest(reencoded)))).toEqual(reencoded);
  });

  it('drops a tag endpoint already present in the template node', () => {
    const node = tagNode(createAgentNode(createRng('retag'), { nowMs: 1_700_000_000_000 }), 99, 1_700_000_000_000);
    const decoded = TAILNET_RPC.Coordinate.decodeRequest(new TaggedNodeProto(node).encodeUpdateSelf(3, 1_700_000_001_000));
    expect(readNodeTag(nodeFromProto(decoded.updateSelf!.node!))?.seq).toBe(3);
    expect(decoded.updateSelf!.node!.endpoints.filter((e) => e.startsWith('[2001:db8::'))).toHaveLength(1);
  });
});
