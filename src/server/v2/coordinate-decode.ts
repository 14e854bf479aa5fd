/**
 * CoordinateRequest decoding for the v2 coordinator's hot path (docs/protocol-v2.md §6.3). Nearly
 * every request is `update_self{node}`, and protobuf-es's reflective `fromBinary` costs several
 * microseconds per node, so that one shape is decoded by hand into the very objects `fromBinary`
 * builds (same fields, same zero values, `key` a view of the input like protobuf-es's bytes).
 * Anything this decoder does not take exactly — another request shape, an unknown or repeated
 * singular field, an unexpected wire type, a non-ASCII string, a varint over 10 bytes — goes to
 * `fromBinary`, so the result (or the error) is always protobuf-es's.
 *
 * Strings are read as Latin-1 after an ASCII check; the request's Buffer (ws hands Buffers up)
 * decodes them without a copy.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { CoordinateRequestSchema, type CoordinateRequest, type Node } from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { updateSelfNodeBytes } from './coordinate-wire.js';

/** A decoded request and the bytes its `update_self.node` came as (when it has one node piece). */
export interface DecodedCoordinateRequest {
  request: CoordinateRequest;
  nodeBytes: Uint8Array | undefined;
}

/**
 * A CoordinateRequest as protobuf-es decodes it (and throws as it throws). The node and its bytes
 * come from a copy of the request's node: the coordinator keeps a node for as long as it is its
 * peer's latest, and a view would pin the whole socket read buffer (64 KiB) it arrived in.
 */
export function decodeCoordinateRequest(bytes: Uint8Array): DecodedCoordinateRequest {
  const inbound = onlyNodeOf(bytes);
  if (inbound !== undefined) {
    const nodeBytes = copyOf(inbound);
    const node = decodeNode(nodeBytes);
    if (node !== undefined) {
      const request = {
        $typeName: 'coder.tailnet.v2.CoordinateRequest',
        readyForHandshake: [],
        updateSelf: { $typeName: 'coder.tailnet.v2.CoordinateRequest.UpdateSelf', node },
      } as CoordinateRequest;
      return { request, nodeBytes };
    }
  }
  const own = copyOf(bytes); // for the same reason
  const request = fromBinary(CoordinateRequestSchema, own);
  return { request, nodeBytes: request.updateSelf?.node ? updateSelfNodeBytes(own) : undefined };
}

/**
 * A copy of `bytes` of the same class (a Buffer stays a Buffer, as protobuf-es's views of it would
 * be), taken from Node's buffer pool when small.
 */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.length);
  copy.set(bytes);
  return Buffer.isBuffer(bytes) ? copy : new Uint8Array(copy.buffer, copy.byteOffset, copy.length);
}

/** The node bytes of a request that is exactly `0x0a len (0x0a len node)`, else undefined. */
function onlyNodeOf(bytes: Uint8Array): Uint8Array | undefined {
  const self = onlyLenField(bytes, 0, bytes.length);
  if (self === undefined) return undefined;
  const node = onlyLenField(bytes, self[0], self[1]);
  return node === undefined ? undefined : bytes.subarray(node[0], node[1]);
}

/** [start, end) of the payload when bytes[from, to) is exactly one field 1 (length-delimited). */
function onlyLenField(bytes: Uint8Array, from: number, to: number): [number, number] | undefined {
  if (to - from < 2 || bytes[from] !== 0x0a) return undefined;
  const r = new Reader(bytes, from + 1, to);
  const len = r.uint32();
  return r.ok && r.pos + len === to ? [r.pos, to] : undefined;
}

/** A bounds-checked cursor; any malformed input clears `ok` (the caller then falls back). */
class Reader {
  ok = true;
  /** Bounds of the last `span()`. */
  start = 0;
  stop = 0;
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** A varint's low 32 bits as an unsigned number (protobuf-es `uint32`), at most 10 bytes. */
  uint32(): number {
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return this.fail();
      const b = this.buf[this.pos++] as number;
      if (i < 4) result |= (b & 0x7f) << (7 * i);
      else if (i === 4) result |= (b & 0x0f) << 28;
      if (b < 0x80) return result >>> 0;
    }
    return this.fail();
  }

  /** A signed 64-bit varint (protobuf-es `int64`, as bigint). */
  int64(): bigint {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return BigInt(this.fail());
      const b = this.buf[this.pos++] as number;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) return hi === 0 ? BigInt(lo >>> 0) : BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    }
    return BigInt(this.fail());
  }

  /** Skips a length-delimited payload; its bounds are left in `start` / `stop`. */
  span(): void {
    const len = this.uint32();
    const start = this.pos;
    if (!this.ok || len > this.end - start) {
      this.fail();
      return;
    }
    this.start = start;
    this.stop = this.pos = start + len;
  }

  /** A string field, ASCII only (anything else is left to protobuf-es's UTF-8 rules). */
  ascii(): string {
    this.span();
    if (!this.ok) return '';
    const { buf, start, stop } = this;
    for (let i = start; i < stop; i++) if ((buf[i] as number) >= 0x80) return String(this.fail());
    return Buffer.isBuffer(buf) ? buf.toString('latin1', start, stop) : Buffer.from(buf.buffer, buf.byteOffset + start, stop - start).toString('latin1');
  }

  /** A little-endian double (fixed64 wire type). */
  double(): number {
    if (this.end - this.pos < 8) return this.fail();
    for (let i = 0; i < 8; i++) F64_BYTES[LITTLE_ENDIAN ? i : 7 - i] = this.buf[this.pos++] as number;
    return F64[0] as number;
  }

  fail(): number {
    this.ok = false;
    this.pos = this.end;
    return 0;
  }
}

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const VARINT = 0;
const LEN = 2;

/** A Node exactly as `fromBinary(NodeSchema, bytes)` builds it, or undefined to fall back. */
export function decodeNode(bytes: Uint8Array): Node | undefined {
  const r = new Reader(bytes, 0, bytes.length);
  const node = {
    $typeName: 'coder.tailnet.v2.Node',
    id: 0n,
    key: new Uint8Array(0),
    disco: '',
    preferredDerp: 0,
    derpLatency: {} as Record<string, number>,
    derpForcedWebsocket: {} as Record<number, string>,
    addresses: [] as string[],
    allowedIps: [] as string[],
    endpoints: [] as string[],
  } as Node;
  let seen = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const type = tag & 7;
    if (!r.ok) return undefined;
    // Singular fields once each: a repeat is overwritten or merged, which is fromBinary's job.
    if (field >= 1 && field <= 5) {
      if (seen & (1 << field)) return undefined;
      seen |= 1 << field;
    }
    switch (field) {
      case 1:
        if (type !== VARINT) return undefined;
        node.id = r.int64();
        break;
      case 2: {
        if (type !== LEN) return undefined;
        r.span();
        const asOf = r.ok ? decodeTimestamp(bytes, r.start, r.stop) : undefined;
        if (asOf === undefined) return undefined;
        node.asOf = asOf;
        break;
      }
      case 3: {
        if (type !== LEN) return undefined;
        r.span();
        node.key = bytes.subarray(r.start, r.stop);
        break;
      }
      case 4:
        if (type !== LEN) return undefined;
        node.disco = r.ascii();
        break;
      case 5:
        if (type !== VARINT) return undefined;
        node.preferredDerp = r.uint32() | 0;
        break;
      case 6:
        if (type !== LEN || !readLatency(r, node.derpLatency)) return undefined;
        break;
      case 7:
        if (type !== LEN || !readForced(r, node.derpForcedWebsocket)) return undefined;
        break;
      case 8:
      case 9:
      case 10: {
        if (type !== LEN) return undefined;
        const text = r.ascii();
        (field === 8 ? node.addresses : field === 9 ? node.allowedIps : node.endpoints).push(text);
        break;
      }
      default:
        return undefined; // unknown fields: protobuf-es keeps them in $unknown
    }
    if (!r.ok) return undefined;
  }
  return node;
}

/** google.protobuf.Timestamp: seconds (1, int64), nanos (2, int32), each at most once. */
function decodeTimestamp(bytes: Uint8Array, start: number, end: number): Node['asOf'] {
  const r = new Reader(bytes, start, end);
  const ts = { $typeName: 'google.protobuf.Timestamp', seconds: 0n, nanos: 0 } as NonNullable<Node['asOf']>;
  let seen = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (!r.ok || (tag !== 0x08 && tag !== 0x10) || seen & tag) return undefined;
    seen |= tag;
    if (tag === 0x08) ts.seconds = r.int64();
    else ts.nanos = r.uint32() | 0;
    if (!r.ok) return undefined;
  }
  return ts;
}

/** One derp_latency entry: key (1, string), value (2, double); absent parts are zero values. */
function readLatency(outer: Reader, into: Record<string, number>): boolean {
  outer.span();
  if (!outer.ok) return false;
  const r = new Reader(outer.buf, outer.start, outer.stop);
  let key = '';
  let value = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 0x0a) key = r.ascii();
    else if (tag === 0x11) value = r.double();
    else return false;
    if (!r.ok) return false;
  }
  into[key] = value;
  return true;
}

/** One derp_forced_websocket entry: key (1, int32), value (2, string). */
function readForced(outer: Reader, into: Record<number, string>): boolean {
  outer.span();
  if (!outer.ok) return false;
  const r = new Reader(outer.buf, outer.start, outer.stop);
  let key = 0;
  let value = '';
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 0x08) key = r.uint32() | 0;
    else if (tag === 0x12) value = r.ascii();
    else return false;
    if (!r.ok) return false;
  }
  into[key] = value;
  return true;
}
