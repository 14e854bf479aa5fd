import { describe, expect, it } from 'vitest';
import { createAgentNode, createClientNode } from '../../../src/protocol/node-factory.js';
import type { TailnetNode } from '../../../src/protocol/tailnet-node.js';
import { TAILNET_RPC, uuidToBytes } from '../../../src/protocol/v2/messages.js';
import {
  agentTailnetAddresses,
  goTimeToTimestamp,
  NodeConvertError,
  nodeFromProto,
  nodeKeyFromBytes,
  nodeKeyToBytes,
  nodeToProto,
  timestampToGoTime,
} from '../../../src/protocol/v2/node-convert.js';
import { createRng } from '../../../src/core/rng.js';

describe('tailnet Node: v1 JSON ↔ v2 protobuf', () => {
  it('node key text ↔ "np" + 32 bytes', () => {
    const text = `nodekey:${'0f'.repeat(32)}`;
    const bytes = nodeKeyToBytes(text);
    expect(bytes.length).toBe(34);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('hex')).toBe('6e700f0f');
    expect(nodeKeyFromBytes(bytes)).toBe(text);
    expect(() => nodeKeyToBytes(`discokey:${'0f'.repeat(32)}`)).toThrow(NodeConvertError);
    expect(() => nodeKeyToBytes('nodekey:abc')).toThrow(NodeConvertError);
    expect(() => nodeKeyFromBytes(new Uint8Array(32))).toThrow('invalid node key bytes (len 32)');
  });

  it('as_of text ↔ Timestamp keeps nanoseconds, folds offsets to UTC, maps Go zero time', () => {
    expect(goTimeToTimestamp('2023-11-14T22:13:20.123456789Z')).toMatchObject({ seconds: 1_700_000_000n, nanos: 123_456_789 });
    expect(goTimeToTimestamp('2023-11-15T00:13:20.5+02:00')).toMatchObject({ seconds: 1_700_000_000n, nanos: 500_000_000 });
    expect(timestampToGoTime(goTimeToTimestamp('2023-11-14T22:13:20.120Z'))).toBe('2023-11-14T22:13:20.12Z');
    expect(timestampToGoTime(goTimeToTimestamp('0001-01-01T00:00:00Z'))).toBe('0001-01-01T00:00:00Z');
    expect(goTimeToTimestamp('0001-01-01T00:00:00Z').seconds).toBe(-62_135_596_800n);
    expect(timestampToGoTime(undefined)).toBe('0001-01-01T00:00:00Z');
    expect(() => goTimeToTimestamp('yesterday')).toThrow(NodeConvertError);
  });

  it('factory nodes survive JSON → protobuf bytes → JSON unchanged', () => {
    const rng = createRng(7);
    for (const node of [createAgentNode(rng, { nowMs: 1_700_000_000_123.456 }), createClientNode(rng, { nowMs: 1_700_000_000_000 })]) {
      const wire = TAILNET_RPC.Coordinate.encodeRequest({ updateSelf: { node: nodeToProto(node) } });
      const back = nodeFromProto(TAILNET_RPC.Coordinate.decodeRequest(wire).updateSelf!.node!);
      expect(back).toEqual(node);
    }
  });

  it('null lists and latency in JSON become empty in protobuf and stay empty on the way back', () => {
    const node: TailnetNode = {
      id: 1n,
      as_of: '2023-11-14T22:13:20Z',
      key: `nodekey:${'00'.repeat(32)}`,
      disco: `discokey:${'00'.repeat(32)}`,
      preferred_derp: 0,
      derp_latency: null,
      addresses: null,
      allowed_ips: null,
      endpoints: null,
    };
    const proto = nodeToProto(node);
    expect(proto.addresses).toEqual([]);
    expect(proto.derpLatency).toEqual({});
    expect(nodeFromProto(proto)).toEqual({ ...node, derp_latency: {}, addresses: [], allowed_ips: [], endpoints: [] });
  });

  it('agent addresses: prefix + last 10 bytes of the agent id, /128', () => {
    const id = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    expect(agentTailnetAddresses(id)).toEqual({
      tailscale: 'fd7a:115c:a1e0:cccc:dddd:eeee:eeee:eeee/128',
      coder: 'fd60:627a:a42b:cccc:dddd:eeee:eeee:eeee/128',
    });
    expect(uuidToBytes(id).subarray(6)).toEqual(Uint8Array.from([0xcc, 0xcc, 0xdd, 0xdd, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]));
  });
});
