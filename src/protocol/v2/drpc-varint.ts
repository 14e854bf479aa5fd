/**
 * Unsigned LEB128 varints as dRPC uses them (docs/protocol-v2.md §2.1): 7 bits per byte, low
 * groups first, high bit = more follows, at most 10 bytes for 64 bits.
 *
 * The `number` functions are exact up to 2^53-1 (every id and length in practice); the `bigint`
 * ones cover the whole uint64 range.
 */

/** Longest valid encoding of a uint64. */
export const MAX_VARINT_BYTES = 10;

/** Encoded size of a non-negative integer. */
export function uvarintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes `value` (a non-negative safe integer) at `pos`; returns the position after it. */
export function writeUvarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Encodes any uint64 (number or bigint) as a new array. */
export function encodeUvarint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`not a uint64: ${value}`);
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

/** A decoded varint and the position after it. */
export interface DecodedUvarint {
  value: bigint;
  next: number;
}

/**
 * Decodes one varint at `pos`. Returns null when the input ends first; throws RangeError
 * ("varint too long") past 10 bytes or when the value overflows 64 bits.
 */
export function decodeUvarint(bytes: Uint8Array, pos = 0): DecodedUvarint | null {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const b = bytes[pos + i];
    if (b === undefined) return null;
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      if (value > 0xffffffffffffffffn) throw new RangeError('varint overflows 64 bits');
      return { value, next: pos + i + 1 };
    }
    shift += 7n;
  }
  throw new RangeError('varint too long');
}
