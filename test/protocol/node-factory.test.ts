import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { createAgentNode, createClientNode, randomClientAddress, randomNodeId } from '../../src/protocol/node-factory.js';
import { decodeNode, encodeNode } from '../../src/protocol/node-codec.js';
import { AGENT_IP, CLIENT_IP_PREFIX } from '../../src/protocol/tailnet-node.js';

describe('node factory', () => {
  it('draws 63-bit ids, mostly beyond 2^53', () => {
    const rng = createRng('ids');
    const ids = Array.from({ length: 200 }, () => randomNodeId(rng));
    expect(ids.every((id) => id >= 0n && id < 2n ** 63n)).toBe(true);
    expect(ids.filter((id) => id > BigInt(Number.MAX_SAFE_INTEGER)).length).toBeGreaterThan(190);
  });
  it('makes nodes that the strict codec accepts unchanged', () => {
    const rng = createRng('nodes');
    for (let i = 0; i < 50; i++) {
      for (const node of [createAgentNode(rng, { nowMs: 1675028844123.456 }), createClientNode(rng)]) {
        const text = encodeNode(node);
        expect(encodeNode(decodeNode(text))).toBe(text);
        expect(node.key).toMatch(/^nodekey:[0-9a-f]{64}$/);
        expect(node.disco).toMatch(/^discokey:[0-9a-f]{64}$/);
      }
    }
    const agent = createAgentNode(createRng('a'), { preferredDerp: 1 });
    expect(agent.addresses).toEqual([`${AGENT_IP}/128`]);
    expect(agent.allowed_ips).toEqual([`${AGENT_IP}/128`]);
    expect(Object.keys(agent.derp_latency ?? {})).toEqual(['1-v4']);
  });
  it('is deterministic per seed and gives client addresses in the tailnet prefix', () => {
    expect(encodeNode(createClientNode(createRng('s'), { nowMs: 0 }))).toBe(encodeNode(createClientNode(createRng('s'), { nowMs: 0 })));
    const addr = randomClientAddress(createRng('x'));
    expect(addr.startsWith(CLIENT_IP_PREFIX)).toBe(true);
    expect(addr.endsWith('/128')).toBe(true);
  });
});
