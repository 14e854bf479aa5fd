/**
 * The v2 twin of TaggedNodeTemplate (src/protocol/tagged-node-template.ts): a node kept as its
 * protobuf bytes, encoded once, so a tagged `CoordinateRequest{update_self{node}}` costs a few
 * varints and one copy instead of building and serialising a message per update. Peers and the
 * coordinator benchmark's v2 load use it (they are the load generator: their CPU must stay small
 * next to the target's).
 *
 * Layout: protobuf readers accept fields in any order and append repeated fields in wire order,
 * so the node's fixed fields (id, key, disco, DERP, addresses, the untagged endpoints) are
 * encoded once and the two changing parts follow them: `as_of` (#2) and the tag endpoint, a last
 * `endpoints` (#10) entry. Decoded, the message equals
 * `{updateSelf: {node: nodeToProto(tagNode(node, seq, t))}}` (pinned by tests), so the tag reads
 * back with readNodeTag after nodeFromProto, exactly as in v1 (same µs rounding of `as_of`).
 */
import { toBinary } from '@bufbuild/protobuf';
import { tagEndpoint, TAG_PREFIX, TAG_SUFFIX } from '../node-tag.js';
import type { TailnetNode } from '../tailnet-node.js';
import { NodeSchema } from './gen/coder/tailnet/v2/tailnet_pb.js';
import { nodeToProto } from './node-convert.js';
import { uuidToBytes } from './uuid-bytes.js';

/** Field keys (field number << 3 | wire type). */
const KEY_LEN_1 = 0x0a; // #1 length-delimited: CoordinateRequest.update_self, UpdateSelf.node, Tunnel.id
const KEY_VARINT_1 = 0x08; // Timestamp.seconds
const KEY_VARINT_2 = 0x10; // Timestamp.nanos
const KEY_AS_OF = 0x12; // Node.as_of (#2)
const KEY_ENDPOINT = 0x52; // Node.endpoints (#10)
const KEY_ADD_TUNNEL = 0x1a; // CoordinateRequest.add_tunnel (#3)

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** Seconds and nanos of `formatGoTime(ms)`: whole ms plus rounded µs, never 1000 µs. */
function asOfParts(epochMs: number): [seconds: number, nanos: number] {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.min(999, Math.round((epochMs - wholeMs) * 1000));
  const seconds = Math.floor(wholeMs / 1000);
  return [seconds, (wholeMs - seconds * 1000) * 1_000_000 + micros * 1000];
}

export class TaggedUpdateSelfTemplate {
  /** The node's protobuf bytes without `as_of` and without a tag endpoint. */
  private readonly fixed: Uint8Array;

  constructor(node: TailnetNode) {
    const plain = (node.endpoints ?? []).filter((e) => !e.startsWith(TAG_PREFIX));
    const proto = nodeToProto({ ...node, endpoints: plain });
    proto.asOf = undefined;
    this.fixed = toBinary(NodeSchema, proto);
  }

  /** `CoordinateRequest{update_self{node tagged with seq, as_of = sentAtWallMs}}` as bytes. */
  encode(seq: number, sentAtWallMs: number): Uint8Array {
    const [seconds, nanos] = asOfParts(sentAtWallMs);
    const tsLen = (seconds > 0 ? 1 + varintSize(seconds) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
    const tag = tagEndpoint(seq); // ASCII
    const nodeLen = this.fixed.length + 1 + varintSize(tsLen) + tsLen + 1 + varintSize(tag.length) + tag.length;
    const selfLen = 1 + varintSize(nodeLen) + nodeLen;
    const out = new Uint8Array(1 + varintSize(selfLen) + selfLen);
    let at = 0;
    out[at++] = KEY_LEN_1;
    at = writeVarint(out, at, selfLen);
    out[at++] = KEY_LEN_1;
    at = writeVarint(out, at, nodeLen);
    out.set(this.fixed, at);
    at += this.fixed.length;
    out[at++] = KEY_AS_OF;
    at = writeVarint(out, at, tsLen);
    if (seconds > 0) {
      out[at++] = KEY_VARINT_1;
      at = writeVarint(out, at, seconds);
    }
    if (nanos > 0) {
      out[at++] = KEY_VARINT_2;
      at = writeVarint(out, at, nanos);
    }
    out[at++] = KEY_ENDPOINT;
    at = writeVarint(out, at, tag.length);
    for (let i = 0; i < tag.length; i++) out[at++] = tag.charCodeAt(i);
    return out;
  }
}

/** `CoordinateRequest{add_tunnel{id}}` as bytes (docs/protocol-v2.md §6.2: a client's first request). */
export function encodeAddTunnel(agentId: string): Uint8Array {
  const id = uuidToBytes(agentId);
  return Uint8Array.from([KEY_ADD_TUNNEL, 18, KEY_LEN_1, 16, ...id]);
}

/** `CoordinateRequest{disconnect{}}`: leave gracefully (partners get DISCONNECTED, not LOST). */
export const DISCONNECT_REQUEST: Uint8Array = Uint8Array.from([0x12, 0x00]);

const TAG_OPEN = Buffer.from(TAG_PREFIX, 'latin1');
const TAG_CLOSE = Buffer.from(TAG_SUFFIX, 'latin1');

/**
 * The tag seq of every tagged node in a CoordinateResponse's bytes, without decoding it: the tag
 * endpoint travels as plain ASCII inside the protobuf, and only endpoints carry the 2001:db8::
 * prefix, so a byte search is exact for coordinator output (the v2 twin of readTagSeqs).
 */
export function readTagSeqsProto(bytes: Uint8Array): number[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const start = buf.indexOf(TAG_OPEN, from);
    if (start < 0) return out;
    const end = buf.indexOf(TAG_CLOSE, start);
    if (end < 0) return out;
    const body = buf.toString('latin1', start + TAG_OPEN.length, end);
    const colon = body.indexOf(':');
    const seq = parseInt(body.slice(0, colon), 16) * 65536 + parseInt(body.slice(colon + 1), 16);
    if (Number.isFinite(seq)) out.push(seq);
    from = end + TAG_CLOSE.length;
  }
}
