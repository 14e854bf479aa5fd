import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { createAgentNode } from '../../../src/protocol/node-factory.js';
import { decodeNode, encodeNode } from '../../../src/protocol/node-codec.js';
import { readNodeTag, tagNode } from '../../../src/protocol/node-tag.js';
import { AgentNodeTemplate } from '../../../src/workloads/agents/node-template.js';

describe('AgentNodeTemplate', () => {
  it('produces exactly the encoding of the tagged node', () => {
    const rng = createRng('node-template');
    for (let i = 0; i < 20; i++) {
      const node = createAgentNode(rng.fork(String(i)));
      const template = new AgentNodeTemplate(node);
      const seq = [1, 2, 65535, 65536, 2 ** 32 - 1][i % 5]!;
      const at = 1_764_000_000_000 + i * 1000.123 + (i % 3 === 0 ? 0 : 0.5);
      const text = template.encode(seq, at);
      expect(text).toBe(encodeNode(tagNode(node, seq, at)));
      expect(readNodeTag(decodeNode(text))?.seq).toBe(seq);
      expect(encodeNode(template.node(seq, at))).toBe(text);
    }
  });
});
