/**
 * Small ports of Go standard-library text behaviour that coderd's error bodies expose:
 * google/uuid `Parse` (accepted forms and error texts) and `%q` of a string slice.
 */
import { goQuote } from '../protocol/go-json.js';

const HEX: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[97 + i] = 10 + i;
    table[65 + i] = 10 + i;
  }
  return table;
})();

const DASHES = [8, 13, 18, 23];
const GROUP_STARTS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

function isHexPair(s: string, i: number): boolean {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  return a < 128 && b < 128 && (HEX[a] as number) >= 0 && (HEX[b] as number) >= 0;
}

/** Result of {@link parseGoUuid}: the canonical lower-case form, or Go's error text. */
export type UuidResult = { ok: true; uuid: string } | { ok: false; error: string };

/**
 * google/uuid v1.3 `Parse`: accepts the 36-char form, `urn:uuid:` + 36, `{…}` (38 chars, the
 * braces themselves are not checked, as in Go) and 32 hex digits. Lengths are UTF-8 byte counts.
 */
export function parseGoUuid(input: string): UuidResult {
  let s = input;
  const byteLength = Buffer.byteLength(s);
  if (byteLength !== s.length) return { ok: false, error: lengthError(byteLength) };
  switch (s.length) {
    case 36:
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return { ok: false, error: `invalid urn prefix: ${goQuote(s.slice(0, 9))}` };
      s = s.slice(9);
      break;
    case 38:
      s = s.slice(1);
      break;
    case 32: {
      for (let i = 0; i < 32; i += 2) if (!isHexPair(s, i)) return { ok: false, error: 'invalid UUID format' };
      const l = s.toLowerCase();
      return { ok: true, uuid: `${l.slice(0, 8)}-${l.slice(8, 12)}-${l.slice(12, 16)}-${l.slice(16, 20)}-${l.slice(20)}` };
    }
    default:
      return { ok: false, error: lengthError(s.length) };
  }
  for (const d of DASHES) if (s.charCodeAt(d) !== 45) return { ok: false, error: 'invalid UUID format' };
  for (const g of GROUP_STARTS) if (!isHexPair(s, g)) return { ok: false, error: 'invalid UUID format' };
  const canonical = s.slice(0, 36);
  return { ok: true, uuid: isLowerCanonical(canonical) ? canonical : canonical.toLowerCase() };
}

function isLowerCanonical(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return false;
  }
  return true;
}

function lengthError(n: number): string {
  return `invalid UUID length: ${n}`;
}

/** Go `fmt.Sprintf("%q", []string{…})`: `["a" "b"]`. */
export function goQuoteSlice(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}
