/**
 * UUIDs on the v2 wire are 16 raw bytes (`bytes` fields), not text (docs/protocol-v2.md §3.2).
 * These conversions are strict: coderd and the Go agent reject any id that is not exactly 16
 * bytes, so a wrong length here is a bug worth a throw, not a silent pad.
 */

/** The all-zero UUID; as a BatchCreateLogs log_source_id it selects the "External" source. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The fixed id coderd upserts for the legacy "External" log source (docs/protocol-v2.md §5.7). */
export const EXTERNAL_LOG_SOURCE_ID = '3b579bf4-1ed8-4b99-87a8-e9a1e3410410';

const HEX = '0123456789abcdef';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/**
 * `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any hex case) → 16 bytes.
 * @throws RangeError for any other text.
 */
export function uuidToBytes(uuid: string): Uint8Array {
  if (uuid.length !== 36) throw new RangeError(`invalid UUID ${JSON.stringify(uuid)}`);
  const out = new Uint8Array(16);
  let j = 0;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (uuid.charCodeAt(i) !== 45) throw new RangeError(`invalid UUID ${JSON.stringify(uuid)}`);
      i++;
      continue;
    }
    const hi = hexValue(uuid.charCodeAt(i));
    const lo = hexValue(uuid.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw new RangeError(`invalid UUID ${JSON.stringify(uuid)}`);
    out[j++] = (hi << 4) | lo;
    i += 2;
  }
  return out;
}

/**
 * 16 bytes → lower-case canonical text.
 * @throws RangeError unless exactly 16 bytes (the Go side's `uuid.FromBytes` rule).
 */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`invalid UUID (len ${bytes.length})`);
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    const b = bytes[i] as number;
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

/** True for 16 zero bytes. */
export function isNilUuid(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (bytes[i] !== 0) return false;
  return true;
}
