/**
 * Packet payloads and packet sequences the RPC layers send (docs/protocol-v2.md §2.4, §2.5).
 */
import { DrpcError } from './wire-errors.js';
import { packetSize, writePacket } from './drpc-frame.js';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const methodCache = new Map<string, Uint8Array>();

/** UTF-8 bytes of an RPC name (cached: a process uses a handful of method names). */
export function methodBytes(method: string): Uint8Array {
  let bytes = methodCache.get(method);
  if (bytes === undefined) {
    bytes = encoder.encode(method);
    if (methodCache.size < 1024) methodCache.set(method, bytes);
  }
  return bytes;
}

/** Decodes an Invoke payload. */
export function methodName(data: Uint8Array): string {
  return decoder.decode(data);
}

/** Error packet data: 8-byte big-endian code, then the UTF-8 message (protocol-v2 §2.5). */
export function encodeErrorData(code: number | bigint, message: string): Uint8Array {
  const text = encoder.encode(message);
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(code)));
  out.set(text, 8);
  return out;
}

/** Decodes Error packet data (shorter than 8 bytes: code 0 and the bytes as text). */
export function decodeErrorData(data: Uint8Array): DrpcError {
  if (data.length < 8) return new DrpcError(0, decoder.decode(data));
  const code = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0);
  return new DrpcError(code, decoder.decode(data.subarray(8)));
}

/** The Error packet data for any thrown value: a DrpcError keeps its code, anything else is code 0. */
export function errorDataFor(error: unknown): Uint8Array {
  if (error instanceof DrpcError) return encodeErrorData(error.rawCode, error.message);
  return encodeErrorData(0, error instanceof Error ? error.message : String(error));
}

/**
 * Encodes up to three consecutive packets (message ids `firstId`, +1, +2) into one array, e.g. a
 * client's Invoke + Message + CloseSend, which drpc also writes in one flush (protocol-v2 §2.4).
 * Pass kind 0 to leave a slot out.
 */
export function encodeSequence(
  streamId: number,
  firstId: number,
  kind1: number,
  data1: Uint8Array,
  kind2 = 0,
  data2: Uint8Array = EMPTY,
  kind3 = 0,
  data3: Uint8Array = EMPTY,
): Uint8Array {
  let size = packetSize(streamId, firstId, data1.length);
  if (kind2) size += packetSize(streamId, firstId + 1, data2.length);
  if (kind3) size += packetSize(streamId, firstId + 2, data3.length);
  const out = new Uint8Array(size);
  let pos = writePacket(out, 0, kind1, streamId, firstId, data1);
  if (kind2) pos = writePacket(out, pos, kind2, streamId, firstId + 1, data2);
  if (kind3) writePacket(out, pos, kind3, streamId, firstId + 2, data3);
  return out;
}
