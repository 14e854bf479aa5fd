/**
 * The tailnet Node in its two wire forms: v1 JSON (`TailnetNode`, what the node factory and the
 * v1 coordinate sockets use) and the v2 protobuf `coder.tailnet.v2.Node`
 * (docs/protocol-v2.md §4.1, §7). Lets the v2 fake agent and peers reuse the v1 node factory,
 * and lets a server relay between v1 and v2 peers.
 *
 * The two forms differ in three places: the node key is `nodekey:<64 hex>` text in JSON but
 * `"np"` + 32 raw bytes in protobuf; `as_of` is RFC 3339 text vs a Timestamp; and absent lists
 * and maps are `null` in JSON vs empty in protobuf (converted back to empty, not null).
 * `derp_forced_websocket` has no place in `TailnetNode` and is dropped.
 */
import { create } from '@bufbuild/protobuf';
import { TimestampSchema, type Timestamp } from '@bufbuild/protobuf/wkt';
import { formatAddr } from '../netip.js';
import type { TailnetNode } from '../tailnet-node.js';
import { NodeSchema, type Node } from './gen/coder/tailnet/v2/tailnet_pb.js';
import { uuidToBytes } from './uuid-bytes.js';

const NODEKEY_PREFIX = 'nodekey:';
/** `key.NodePublic.MarshalBinary` prefix. */
const NP = [0x6e, 0x70];

/** A node's JSON fields do not fit the protobuf form (bad key text or time). */
export class NodeConvertError extends Error {
  override readonly name = 'NodeConvertError';
}

/** `nodekey:<64 hex>` → `"np"` + 32 bytes. */
export function nodeKeyToBytes(text: string): Uint8Array {
  const hex = text.startsWith(NODEKEY_PREFIX) ? text.slice(NODEKEY_PREFIX.length) : '';
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new NodeConvertError(`invalid node key ${JSON.stringify(text)}`);
  const out = new Uint8Array(34);
  out.set(NP);
  out.set(Buffer.from(hex, 'hex'), 2);
  return out;
}

/** `"np"` + 32 bytes → `nodekey:<64 lower-case hex>`. */
export function nodeKeyFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 34 || bytes[0] !== NP[0] || bytes[1] !== NP[1]) {
    throw new NodeConvertError(`invalid node key bytes (len ${bytes.length})`);
  }
  return NODEKEY_PREFIX + Buffer.from(bytes.subarray(2)).toString('hex');
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** RFC 3339 text (any offset, up to ns digits) → Timestamp, keeping every nanosecond. */
export function goTimeToTimestamp(text: string): Timestamp {
  const m = RFC3339.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new NodeConvertError(`invalid time ${JSON.stringify(text)}`);
  return create(TimestampSchema, { seconds: BigInt(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) });
}

/** Timestamp (absent = Go's zero time) → Go's RFC3339Nano text in UTC, trailing zeros dropped. */
export function timestampToGoTime(t: Timestamp | undefined): string {
  if (t === undefined) return '0001-01-01T00:00:00Z';
  const head = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
  if (t.nanos === 0) return `${head}Z`;
  return `${head}.${String(t.nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** v1 JSON node → v2 protobuf Node. */
export function nodeToProto(node: TailnetNode): Node {
  return create(NodeSchema, {
    id: node.id,
    asOf: goTimeToTimestamp(node.as_of),
    key: nodeKeyToBytes(node.key),
    disco: node.disco,
    preferredDerp: node.preferred_derp,
    derpLatency: node.derp_latency ?? {},
    addresses: node.addresses ?? [],
    allowedIps: node.allowed_ips ?? [],
    endpoints: node.endpoints ?? [],
  });
}

/** v2 protobuf Node → v1 JSON node. */
export function nodeFromProto(node: Node): TailnetNode {
  return {
    id: node.id,
    as_of: timestampToGoTime(node.asOf),
    key: nodeKeyFromBytes(node.key),
    disco: node.disco,
    preferred_derp: node.preferredDerp,
    derp_latency: { ...node.derpLatency },
    addresses: [...node.addresses],
    allowed_ips: [...node.allowedIps],
    endpoints: [...node.endpoints],
  };
}

/**
 * The tailnet addresses a coordinator accepts from an agent (docs/protocol-v2.md §6.3): the
 * 6-byte prefix plus the last 10 bytes of the agent's UUID, as a /128. `tailscale` is the
 * `fd7a:115c:a1e0` prefix, `coder` the `fd60:627a:a42b` one. (The legacy fixed agent address
 * is accepted too.)
 */
export function agentTailnetAddresses(agentId: string): { tailscale: string; coder: string } {
  const id = uuidToBytes(agentId);
  const make = (prefix: readonly number[]): string => {
    const bytes = new Uint8Array(16);
    bytes.set(prefix);
    bytes.set(id.subarray(6), 6);
    return `${formatAddr({ bytes, zone: '' })}/128`;
  };
  return {
    tailscale: make([0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0]),
    coder: make([0xfd, 0x60, 0x62, 0x7a, 0xa4, 0x2b]),
  };
}
