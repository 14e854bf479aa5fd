import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { encodeNode, encodeNodeArray } from '../../src/protocol/node-codec.js';
import { createAgentNode } from '../../src/protocol/node-factory.js';
import { tagNode } from '../../src/protocol/node-tag.js';
import { readTagSeqs, TaggedNodeTemplate } from '../../src/protocol/tagged-node-template.js';

describe('fast tag template', () => {
  it('encodes exactly like encodeNode(tagNode()) and reads the seqs back', () => {
    const node = createAgentNode(createRng('t'), { nowMs: 0 });
    const template = new TaggedNodeTemplate(node);
    for (const [seq, t] of [
      [0, 1700000000000.123],
      [65537, 1700000000001],
      [4294967295, 1700000000002.5],
    ] as const) {
      expect(template.encode(seq, t)).toBe(encodeNode(tagNode(node, seq, t)));
    }
    const array = encodeNodeArray([tagNode(node, 7, 1), tagNode(node, 70000, 2)]);
    expect(readTagSeqs(array)).toEqual([7, 70000]);
    expect(readTagSeqs(encodeNodeArray([node]))).toEqual([]);
  });
});
