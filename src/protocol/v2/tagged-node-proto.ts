/**
 * The v2 twin of TaggedNodeTemplate: a node pre-encoded as protobuf bytes, from which a
 * `CoordinateRequest{update_self{node}}` tagged with a sequence number and a send time is made
 * with a few byte copies (docs/protocol-v2.md §4.1). The tag is the same as v1's
 * (src/protocol/node-tag.ts): `as_of` carries the send time, the last endpoint the sequence
 * number, so the peers' ledger reads v2 updates unchanged after `nodeFromProto`.
 *
 * Protobuf lets a message's fields come in any order and appends repeated fields in order of
 * appearance, so the fixed part (everything but `as_of` and the tag endpoint) is encoded once,
 * and each update appends field 2 (as_of) and one more field 10 (endpoints) behind it.
 * Memory: one byte array per agent instead of a Node object graph.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { TAG_PREFIX, tagEndpoint } from '../node-tag.js';
import type { TailnetNode } from '../tailnet-node.js';
import { NodeSchema } from './gen/coder/tailnet/v2/tailnet_pb.js';
import { nodeToProto } from './node-convert.js';

const AS_OF_FIELD = 0x12; // field 2, length-delimited
const ENDPOINTS_FIELD = 0x52; // field 10, length-delimited
const SECONDS_FIELD = 0x08; // Timestamp.seconds, varint
const NANOS_FIELD = 0x10; // Timestamp.nanos, varint
const NODE_FIELD = 0x0a; // UpdateSelf.node = 1
const UPDATE_SELF_FIELD = 0x0a; // CoordinateRequest.update_self = 1

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function putVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Bytes per slab of {@link keep}: about 40 nodes. */
const SLAB_SIZE = 16 * 1024;
let slab: Uint8Array = new Uint8Array(0);
let slabUsed = 0;

/**
 * A copy of `bytes` in a slab shared only by other kept nodes. Every agent keeps its node for
 * its whole life: as `toBinary`'s own array each would be a separate ArrayBuffer with its own
 * backing store (~150 B of object and allocator overhead per agent), and as a slice of Node's
 * Buffer pool it would pin an 8 KiB pool chunk shared with short-lived buffers.
 */
function keep(bytes: Uint8Array): Uint8Array {
  if (bytes.length > SLAB_SIZE / 4) return bytes;
  if (slabUsed + bytes.length > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const kept = slab.subarray(slabUsed, slabUsed + bytes.length);
  kept.set(bytes);
  slabUsed += bytes.length;
  return kept;
}

export class TaggedNodeProto {
  /** The node without `as_of` and without a tag endpoint. */
  private readonly fixed: Uint8Array;

  constructor(node: TailnetNode) {
    const plain = (node.endpoints ?? []).filter((e) => !e.startsWith(TAG_PREFIX));
    const proto = nodeToProto({ ...node, as_of: '0001-01-01T00:00:00Z', endpoints: plain });
    this.fixed = keep(toBinary(NodeSchema, create(NodeSchema, { ...proto, asOf: undefined })));
  }

  /**
   * `CoordinateRequest{update_self{node}}` bytes for the node tagged with `seq`, sent at
   * `sentAtWallMs` (epoch ms; kept to the µs like the v1 tag's `as_of`).
   */
  encodeUpdateSelf(seq: number, sentAtWallMs: number): Uint8Array {
    // The same rounding as formatGoTime (the v1 tag's as_of), so both tags read back alike.
    const wholeMs = Math.floor(sentAtWallMs);
    const micros = Math.min(Math.round((sentAtWallMs - wholeMs) * 1000), 999);
    const seconds = Math.floor(wholeMs / 1000);
    const nanos = ((wholeMs - seconds * 1000) * 1000 + micros) * 1000;
    const tsLen = 1 + varintSize(seconds) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
    const endpoint = Buffer.from(tagEndpoint(seq), 'latin1');
    const nodeLen = this.fixed.length + 1 + varintSize(tsLen) + tsLen + 1 + varintSize(endpoint.length) + endpoint.length;
    const selfLen = 1 + varintSize(nodeLen) + nodeLen;
    const out = new Uint8Array(1 + varintSize(selfLen) + selfLen);
    let at = 0;
    out[at++] = UPDATE_SELF_FIELD;
    at = putVarint(out, at, selfLen);
    out[at++] = NODE_FIELD;
    at = putVarint(out, at, nodeLen);
    out.set(this.fixed, at);
    at += this.fixed.length;
    out[at++] = AS_OF_FIELD;
    at = putVarint(out, at, tsLen);
    out[at++] = SECONDS_FIELD;
    at = putVarint(out, at, seconds);
    if (nanos > 0) {
      out[at++] = NANOS_FIELD;
      at = putVarint(out, at, nanos);
    }
    out[at++] = ENDPOINTS_FIELD;
    at = putVarint(out, at, endpoint.length);
    out.set(endpoint, at);
    return out;
  }
}
