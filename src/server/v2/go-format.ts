import { goQuote } from '../../protocol/go-json.js';

/**
 * Go formatting the v2 handlers' error texts depend on (`%q` of byte slices and proto enums,
 * uuid.FromBytes errors), and UUID ↔ 16 raw bytes as the protobuf messages carry them.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `%q` of a []byte: strconv.Quote of the bytes as a string (invalid UTF-8 bytes as `\xNN`). */
export function goQuoteBytes(bytes: Uint8Array): string {
  try {
    return goQuote(utf8.decode(bytes));
  } catch {
    let out = '"';
    for (const b of bytes) {
      // Bytes ≥ 0x80 are all escaped here (Go keeps the valid multi-byte runes of a mixed slice).
      out += b >= 0x80 ? `\\x${b.toString(16).padStart(2, '0')}` : goQuote(String.fromCharCode(b)).slice(1, -1);
    }
    return out + '"';
  }
}

/** `%q` of a protobuf enum: its value name, or the number for an unknown value. */
export function goQuoteEnum(names: Record<number, string>, value: number): string {
  return `"${names[value] ?? String(value)}"`;
}

export type UuidBytesResult = { ok: true; uuid: string } | { ok: false; error: string };

/** google/uuid FromBytes: exactly 16 bytes, else `invalid UUID (got N bytes)`. */
export function uuidFromBytes(bytes: Uint8Array): UuidBytesResult {
  if (bytes.length !== 16) return { ok: false, error: `invalid UUID (got ${bytes.length} bytes)` };
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return { ok: true, uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}

/** UUID text (any case, with dashes) → 16 bytes. */
export function uuidToBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
