/**
 * The v2 coordinator's hot path at the byte level (docs/protocol-v2.md §6.3): a NODE update
 * forwards the sender's node bytes as they arrived instead of re-encoding the decoded Node for
 * every recipient, and a CoordinateResponse is written with a few byte copies instead of
 * protobuf-es reflection.
 *
 * Why this is the same on the wire: a protobuf message is the concatenation of its fields, so
 * `PeerUpdate.node` may carry any valid encoding of the Node; decoding the spliced bytes gives the
 * message protobuf-es would have re-encoded (unknown fields included, which protobuf-es keeps and
 * writes back too). Where the Node's bytes are not known (a node a test built, or a request
 * whose node came in several pieces that protobuf merges), the Node is encoded with protobuf-es
 * once and the result is kept with it.
 */
import { toBinary } from '@bufbuild/protobuf';
import { NodeSchema, type Node } from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { uvarintSize, writeUvarint } from '../../protocol/v2/drpc-varint.js';
import type { CoordinateResponse, PeerUpdate, PeerUpdateKind } from './tailnet-core.js';

const LEN = 2; // wire type: length-delimited
const KIND: Record<PeerUpdateKind, number> = { NODE: 1, DISCONNECTED: 2, LOST: 3, READY_FOR_HANDSHAKE: 4 };

/**
 * A Node as the coordinator keeps it: the decoded message (for authorization, equality and the
 * agent's latency view) with the protobuf bytes it travels as. `bytes` may be a view of the
 * request it came in (the decoded `key` is one already, as protobuf-es decodes bytes fields):
 * inbound buffers are never written to once delivered.
 */
export interface WireNode {
  readonly node: Node;
  /** `node.addresses` (what coordinatee authorization reads). */
  readonly addresses: readonly string[];
  readonly bytes: Uint8Array;
}

/** Wraps a decoded node with the bytes it was decoded from, or encodes it once when they are unknown. */
export function wireNode(node: Node, bytes?: Uint8Array): WireNode {
  return { node, addresses: node.addresses, bytes: bytes ?? toBinary(NodeSchema, node) };
}

/**
 * The bytes of the only `update_self.node` in a CoordinateRequest's bytes, or undefined when
 * there is none, more than one piece (protobuf merges repeated occurrences) or the bytes do not
 * parse as plain fields. The result is a subarray of `request`.
 */
export function updateSelfNodeBytes(request: Uint8Array): Uint8Array | undefined {
  const self = onlyField(request, 1); // CoordinateRequest.update_self
  return self === undefined ? undefined : onlyField(self, 1); // UpdateSelf.node
}

/**
 * A CoordinateResponse's bytes (the layout `toBinary` writes: fields in number order, defaults
 * omitted). Memoised per response object, so an update sent to many peers is encoded once.
 */
export function encodeResponse(response: CoordinateResponse<WireNode>): Uint8Array {
  const updates = response.peerUpdates;
  return (response.encoded ??= updates.length === 1 && !response.error ? encodeOne(updates[0] as PeerUpdate<WireNode>) : encodeMany(response));
}

/** The common case (every NODE update): one PeerUpdate, no error. */
function encodeOne(u: PeerUpdate<WireNode>): Uint8Array {
  const id = uuidBytes(u.id);
  const node = u.node?.bytes;
  const reason = reasonBytes(u.reason);
  const kind = KIND[u.kind];
  const size = lenField(id.length) + (node ? lenField(node.length) : 0) + (kind ? 2 : 0) + (reason.length ? lenField(reason.length) : 0);
  const out = Buffer.allocUnsafe(lenField(size)); // every byte is written below (pooled when small)
  let at = writeTag(out, 0, 1, size);
  at = writeBytes(out, at, 1, id);
  if (node) at = writeBytes(out, at, 2, node);
  if (kind) {
    out[at++] = (3 << 3) | 0; // varint
    out[at++] = kind;
  }
  if (reason.length) writeBytes(out, at, 4, reason);
  return out;
}

function encodeMany(response: CoordinateResponse<WireNode>): Uint8Array {
  const updates = response.peerUpdates;
  const ids: Uint8Array[] = [];
  const nodes: (Uint8Array | undefined)[] = [];
  const reasons: Uint8Array[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const u of updates) {
    const id = uuidBytes(u.id);
    const node = u.node?.bytes;
    const reason = reasonBytes(u.reason);
    const size = lenField(id.length) + (node ? lenField(node.length) : 0) + (KIND[u.kind] ? 2 : 0) + (reason.length ? lenField(reason.length) : 0);
    ids.push(id);
    nodes.push(node);
    reasons.push(reason);
    sizes.push(size);
    total += lenField(size);
  }
  const error = response.error ? Buffer.from(response.error, 'utf8') : undefined;
  if (error && error.length > 0) total += lenField(error.length);
  const bytes = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < updates.length; i++) {
    at = writeTag(bytes, at, 1, sizes[i] as number);
    at = writeBytes(bytes, at, 1, ids[i] as Uint8Array);
    const node = nodes[i];
    if (node) at = writeBytes(bytes, at, 2, node);
    const kind = KIND[(updates[i] as { kind: PeerUpdateKind }).kind];
    if (kind) {
      bytes[at++] = (3 << 3) | 0; // varint
      bytes[at++] = kind;
    }
    const reason = reasons[i] as Uint8Array;
    if (reason.length) at = writeBytes(bytes, at, 4, reason);
  }
  if (error && error.length > 0) writeBytes(bytes, at, 2, error);
  return bytes;
}

/** Reasons are a handful of fixed texts: their UTF-8 bytes are kept. */
const reasonCache = new Map<string, Uint8Array>();
function reasonBytes(reason: string): Uint8Array {
  let bytes = reasonCache.get(reason);
  if (bytes === undefined) {
    bytes = Buffer.from(reason, 'utf8');
    if (reasonCache.size < 64) reasonCache.set(reason, bytes);
  }
  return bytes;
}

/** Size of a length-delimited field with a one-byte tag and `n` bytes of payload. */
function lenField(n: number): number {
  return 1 + uvarintSize(n) + n;
}

function writeTag(out: Uint8Array, at: number, field: number, length: number): number {
  out[at++] = (field << 3) | LEN;
  return writeUvarint(out, at, length);
}

function writeBytes(out: Uint8Array, at: number, field: number, payload: Uint8Array): number {
  at = writeTag(out, at, field, payload.length);
  out.set(payload, at);
  return at + payload.length;
}

/** UUID text → 16 bytes, memoised (the same few thousand peer ids recur on every update). */
const idCache = new Map<string, Uint8Array>();
function uuidBytes(uuid: string): Uint8Array {
  let bytes = idCache.get(uuid);
  if (bytes === undefined) {
    if (idCache.size >= 65_536) idCache.clear();
    bytes = Uint8Array.from(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
    idCache.set(uuid, bytes);
  }
  return bytes;
}

/**
 * The payload of the only length-delimited field `field` at the top level of `bytes`; undefined
 * if it is absent, repeated, of another wire type, or the bytes do not parse.
 */
function onlyField(bytes: Uint8Array, field: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  let at = 0;
  const end = bytes.length;
  while (at < end) {
    const tag = readVarint(bytes, at);
    if (tag === undefined) return undefined;
    at = tag.next;
    const number = Math.floor(tag.value / 8);
    const type = tag.value % 8;
    let next: number;
    if (type === 0) {
      const v = readVarint(bytes, at);
      if (v === undefined) return undefined;
      next = v.next;
    } else if (type === 1) next = at + 8;
    else if (type === 5) next = at + 4;
    else if (type === LEN) {
      const n = readVarint(bytes, at);
      if (n === undefined) return undefined;
      at = n.next;
      next = at + n.value;
    } else return undefined; // groups: leave them to the full decoder
    if (next > end) return undefined;
    if (number === field) {
      if (type !== LEN || found !== undefined) return undefined;
      found = bytes.subarray(at, next);
    }
    at = next;
  }
  return found;
}

/** One varint up to 2^53 (longer ones are not ours to take apart). */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: at + i + 1 };
    scale *= 128;
  }
  return undefined;
}
