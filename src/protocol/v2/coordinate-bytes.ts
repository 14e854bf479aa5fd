/**
 * Fixed CoordinateRequest bytes a v2 peer sends (add_tunnel, disconnect) and a byte-level reader
 * of the tag seqs in CoordinateResponses, for the peers and the coordinator benchmark's v2 load
 * (they are the load generator: their CPU must stay small next to the target's). Tagged
 * update_self bytes come from TaggedNodeProto (tagged-node-proto.ts).
 */
import { TAG_PREFIX, TAG_SUFFIX } from '../node-tag.js';
import { uuidToBytes } from './uuid-bytes.js';

const KEY_LEN_1 = 0x0a; // #1 length-delimited: Tunnel.id
const KEY_ADD_TUNNEL = 0x1a; // CoordinateRequest.add_tunnel (#3)

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
