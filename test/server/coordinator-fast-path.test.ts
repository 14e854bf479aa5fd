import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { decodeNode, encodeNode, decodeNodeArray } from '../../src/protocol/node-codec.js';
import { createAgentNode, createClientNode } from '../../src/protocol/node-factory.js';
import { CanonicalMemo, isCanonicalNode } from '../../src/server/coordinator/canonical-node.js';
import { arrayFrameFromBytes, framePayload, frameFromText } from '../../src/server/coordinator/frame.js';
import { connect, startHarness, type Harness, type Peer } from '../protocol/ws-harness.js';
import { eventually } from '../helpers/eventually.js';

const rng = createRng('coordinator-fast-path');

/** The contract: whatever the fast path accepts, the strict decoder accepts and re-encodes to the same bytes. */
function agreesWithStrictCodec(text: string): boolean {
  const accepted = isCanonicalNode(Buffer.from(text));
  if (!accepted) return false;
  expect(encodeNode(decodeNode(text))).toBe(text);
  return true;
}

const base = encodeNode({ ...createAgentNode(rng), id: 6196346937711212345n });

describe('isCanonicalNode', () => {
  it('accepts what encodeNode writes (factory nodes, null lists, empty lists, extreme ids)', () => {
    for (let i = 0; i < 200; i++) {
      const node = i % 2 ? createAgentNode(rng.fork(`a${i}`)) : createClientNode(rng.fork(`c${i}`), { nowMs: 1_700_000_000_000 + i * 1234 });
      expect(agreesWithStrictCodec(encodeNode(node))).toBe(true);
    }
    const node = createAgentNode(rng);
    for (const variant of [
      { ...node, derp_latency: null, addresses: null, allowed_ips: null, endpoints: null },
      { ...node, derp_latency: {}, addresses: [], allowed_ips: [], endpoints: [] },
      { ...node, id: 2n ** 63n - 1n },
      { ...node, id: -(2n ** 63n) },
      { ...node, id: 0n, preferred_derp: -3 },
      { ...node, derp_latency: { '1-v4': 0.5, '1-v6': 12, '10-v4': 1e-7, '2-v4': -0 } },
    ]) {
      expect(agreesWithStrictCodec(encodeNode(variant))).toBe(true);
    }
  });

  it('refuses anything not in Go encoding, leaving it to the strict path', () => {
    const refused = [
      base.replace('{"id"', '{ "id"'), // whitespace
      `${base} `,
      `${base}${base}`, // two values
      base.slice(0, -1), // unfinished
      base.replace('"id":6196346937711212345', '"id":06196346937711212345'),
      base.replace('"id":6196346937711212345', '"id":9223372036854775808'), // int64 overflow
      base.replace('"id":6196346937711212345', '"id":-9223372036854775809'),
      base.replace('"id":6196346937711212345', '"id":9300000000000000000'),
      base.replace('"id":6196346937711212345', '"id":-0'),
      base.replace('"id":6196346937711212345', '"id":1.5'),
      base.replace('"id":6196346937711212345', '"ID":6196346937711212345'), // Go folds case: generic path
      base.replace(/"key":"nodekey:(.)/, (_m, c: string) => `"key":"nodekey:${c === 'a' ? 'A' : c.toUpperCase() === c ? 'F' : c.toUpperCase()}`),
      base.replace(/"as_of":"([^"]*)Z"/, '"as_of":"$1+00:00"'),
      base.replace(/"as_of":"[^"]*"/, '"as_of":"2026-01-02T03:04:05.120Z"'), // trailing zero
      base.replace(/"as_of":"[^"]*"/, '"as_of":"2026-02-30T03:04:05Z"'),
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"b":1,"a":2}'), // unsorted
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"a":1,"a":2}'), // duplicate
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"a":1e5}'),
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"a":1.0}'),
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"a":null}'),
      base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"a<":1}'), // Go escapes <
      base.replace(/"addresses":\[[^\]]*\]/, '"addresses":["fd7a:115c:a1e0:0:0:0:0:1/128"]'), // not canonical
      base.replace(/"addresses":\[[^\]]*\]/, '"addresses":["10.0.0.1/33"]'),
      base.replace(/"endpoints":\[[^\]]*\]/, '"endpoints":["a\\u0041"]'),
      base.replace(/"endpoints":\[[^\]]*\]/, '"endpoints":["é"]'),
      base.replace(/"endpoints":\[[^\]]*\]/, '"endpoints":[null]'),
      base.replace(',"endpoints"', ',"extra":1,"endpoints"'),
      base.replace(/,"endpoints":\[[^\]]*\]/, ''),
      'null',
      '[]',
    ];
    for (const text of refused) {
      expect(text === base ? 'unchanged' : 'mutated', text).toBe('mutated');
      expect(isCanonicalNode(Buffer.from(text)), text).toBe(false);
    }
  });

  it('checks as_of like the strict time parser (calendar, clock, fraction)', () => {
    const withTime = (t: string): string => base.replace(/"as_of":"[^"]*"/, `"as_of":"${t}"`);
    for (const t of ['2024-02-29T00:00:00Z', '2026-12-31T23:59:59.5Z', '1999-01-01T12:30:45.123456789Z', '0001-01-01T00:00:00Z']) {
      expect(agreesWithStrictCodec(withTime(t)), t).toBe(true);
    }
    for (const t of [
      '2023-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00.1234567891Z',
      '2026-01-01T00:00:00.Z',
      '2026-01-01T00:00:00.10Z',
      '2026-01-01T00:00:00',
      '2026-01-01 00:00:00Z',
      '2026-1-01T00:00:00Z',
      '2026-01-01T00:00:00+01:00',
    ]) {
      expect(isCanonicalNode(Buffer.from(withTime(t))), t).toBe(false);
    }
  });

  it('never accepts bytes the strict codec would refuse or rewrite (random single-byte mutations)', () => {
    const alphabet = Buffer.from('0123456789abcdefABCDEF{}[]":,.-+eEnulTZ /\\<&x');
    const bytes = Buffer.from(base);
    for (let k = 0; k < 5000; k++) {
      const mutated = Buffer.from(bytes);
      const at = Math.floor(rng.next() * mutated.length);
      mutated[at] = alphabet[Math.floor(rng.next() * alphabet.length)] as number;
      const text = mutated.toString();
      if (!isCanonicalNode(mutated)) continue;
      expect(encodeNode(decodeNode(text)), text).toBe(text);
    }
  });
});

describe('isCanonicalNode with a connection memo', () => {
  it('gives the memo-less answer for every mutation, whatever the memo holds', () => {
    const alphabet = Buffer.from('0123456789abcdefABCDEF{}[]":,.-+eEnulTZ /\\<&x');
    const bytes = Buffer.from(base);
    const memo = new CanonicalMemo();
    expect(isCanonicalNode(bytes, memo)).toBe(true);
    expect(memo.latency?.toString()).toMatch(/^\{.*\}$/);
    expect(memo.addresses?.toString()).toMatch(/^\[.*\]$/);
    for (let k = 0; k < 5000; k++) {
      const mutated = Buffer.from(bytes);
      const at = Math.floor(rng.next() * mutated.length);
      mutated[at] = alphabet[Math.floor(rng.next() * alphabet.length)] as number;
      // Some mutations pass and update the memo; later ones are then checked against it.
      expect(isCanonicalNode(mutated, memo), mutated.toString()).toBe(isCanonicalNode(mutated));
    }
  });

  it('re-checks a changed segment and refuses a bad one after a good one', () => {
    const memo = new CanonicalMemo();
    expect(isCanonicalNode(Buffer.from(base), memo)).toBe(true);
    const seen = memo.latency;
    expect(isCanonicalNode(Buffer.from(base), memo)).toBe(true);
    expect(memo.latency).toBe(seen); // unchanged bytes: no new copy
    const unsorted = base.replace(/"derp_latency":\{[^}]*\}/, '"derp_latency":{"b":1,"a":2}');
    expect(isCanonicalNode(Buffer.from(unsorted), memo)).toBe(false);
    const badPrefix = base.replace(/"allowed_ips":\[[^\]]*\]/, '"allowed_ips":["10.0.0.1/33"]');
    expect(isCanonicalNode(Buffer.from(badPrefix), memo)).toBe(false);
    const longer = base.replace(/"derp_latency":\{([^}]*)\}/, '"derp_latency":{$1,"zz":2}');
    expect(agreesWithStrictCodec(longer)).toBe(true);
    expect(isCanonicalNode(Buffer.from(longer), memo)).toBe(true);
    expect(memo.latency?.toString()).toContain('"zz":2');
  });
});

describe('coordinator frames', () => {
  it('wraps node bytes as an unmasked FIN binary frame holding [node], for every length class', () => {
    for (const size of [10, 123, 124, 300, 70_000]) {
      const node = Buffer.alloc(size, 0x61);
      const frame = arrayFrameFromBytes(node);
      expect(frame[0]).toBe(0x82);
      const payload = framePayload(frame);
      expect(payload.length).toBe(size + 2);
      expect(payload.toString()).toBe(`[${node.toString()}]`);
      const len = frame[1] as number;
      const declared = len < 126 ? len : len === 126 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
      expect(declared).toBe(size + 2);
    }
    const text = `[${base}]`;
    expect(framePayload(frameFromText(text)).toString()).toBe(text);
    expect(decodeNodeArray(framePayload(frameFromText(text)).toString())[0]?.id).toBe(6196346937711212345n);
  });
});

describe('coordinator fast and generic paths on the wire', () => {
  const AGENT = '7b2f7a6e-0000-4000-8000-0000000000f1';
  let h: Harness | undefined;
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) p.ws.terminate();
    await h?.close();
    h = undefined;
  });

  it('forwards canonical bytes as they are, re-encodes the rest, and answers one Node object per update', async () => {
    h = await startHarness();
    const url = h.url;
    const open = async (path: string): Promise<Peer> => {
      const p = await connect(`${url}/${path}`);
      peers.push(p);
      return p;
    };
    const client = await open(`client/${AGENT}`);
    const agent = await open(`agent/${AGENT}`);
    expect(await agent.next()).toBe('[]');
    const canonical = encodeNode(createAgentNode(rng));
    agent.ws.send(Buffer.from(canonical));
    expect(await client.next()).toBe(`[${canonical}]`);
    const node = h.coordinator.agentNode(AGENT);
    expect(node).toEqual(decodeNode(canonical));
    expect(h.coordinator.agentNode(AGENT)).toBe(node);
    // Upper-case key hex and spaces: the strict path rewrites it as Go would.
    const loose = canonical
      .replace('"key":"nodekey:', '"key" : "nodekey:')
      .replace(/nodekey:([0-9a-f]{64})/, (_m, hex: string) => `nodekey:${hex.toUpperCase()}`);
    agent.ws.send(Buffer.from(loose));
    expect(await client.next()).toBe(`[${canonical}]`);
    expect(h.coordinator.agentNode(AGENT)).not.toBe(node);
    expect(h.coordinator.agentNode(AGENT)).toEqual(node);
    // A client's canonical node reaches the agent as is, and again when the agent reconnects.
    const clientNode = encodeNode(createClientNode(rng, { nowMs: 1_700_000_000_000 }));
    client.ws.send(Buffer.from(clientNode));
    expect(await agent.next()).toBe(`[${clientNode}]`);
    const again = await open(`agent/${AGENT}`);
    expect(await again.next()).toBe(`[${clientNode}]`);
    await eventually(() => h?.coordinator.stats().overwrites === 1, 'overwrite');
  });
});
