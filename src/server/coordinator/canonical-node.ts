/**
 * Fast path of the coordinator's decode + re-encode (protocol §7.2): recognises a message that is
 * exactly one Node already in the form Go's json.Marshal writes (struct field order, no spaces,
 * lower-case key hex, canonical prefixes, RFC3339Nano time, Go float text, sorted latency keys,
 * printable ASCII needing no escapes). For such bytes `encodeNode(decodeNode(text)) === text`,
 * so the coordinator may forward them as they are, after checking every field exactly as the
 * strict decoder would. Anything else (errors included) answers false and takes the generic
 * path, which produces the Go error texts. One pass over the bytes, no tree, no per-field objects.
 */
import { goFloat } from '../../protocol/go-json.js';
import { canonicalPrefix } from '../../protocol/netip.js';

const lit = (s: string): Buffer => Buffer.from(s, 'latin1');
const P_ID = lit('{"id":');
const P_AS_OF = lit(',"as_of":"');
const P_KEY = lit('","key":"nodekey:');
const P_DISCO = lit('","disco":"discokey:');
const P_DERP = lit('","preferred_derp":');
const P_LATENCY = lit(',"derp_latency":');
const P_ADDRESSES = lit(',"addresses":');
const P_ALLOWED = lit(',"allowed_ips":');
const P_ENDPOINTS = lit(',"endpoints":');
const NULL = lit('null');
const INT64_MAX_DIGITS = lit('9223372036854775807');
const INT64_MIN_DIGITS = lit('9223372036854775808');

/** Position after `p` at `i`, or -1. */
function expect(b: Buffer, i: number, p: Buffer): number {
  if (i + p.length > b.length) return -1;
  for (let k = 0; k < p.length; k++) if (b[i + k] !== p[k]) return -1;
  return i + p.length;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * A canonical decimal integer (no leading zeros, no `-0`) of at most `maxDigits` digits and, with
 * 19 digits, inside int64. Returns the position after it, or -1.
 */
function canonicalInt(b: Buffer, i: number, maxDigits: number): number {
  const negative = b[i] === 0x2d;
  const from = negative ? i + 1 : i;
  let j = from;
  while (isDigit(b[j])) j++;
  const digits = j - from;
  if (digits === 0 || digits > maxDigits) return -1;
  if (b[from] === 0x30 && (digits > 1 || negative)) return -1;
  if (digits === 19 && exceeds(b, from, negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS)) return -1;
  return j;
}

/** The 19 digits at `from` are greater than `limit` (19 digits). */
function exceeds(b: Buffer, from: number, limit: Buffer): boolean {
  for (let k = 0; k < 19; k++) {
    const d = (b[from + k] as number) - (limit[k] as number);
    if (d !== 0) return d > 0;
  }
  return false;
}

/** 64 lower-case hex digits then `"`; position after the hex, or -1. */
function lowerHex64(b: Buffer, i: number): number {
  if (i + 64 > b.length) return -1;
  for (let k = i; k < i + 64; k++) {
    const c = b[k] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1;
  }
  return i + 64;
}

/** A JSON string body Go writes unescaped (printable ASCII but `"` `\` `<` `>` `&`); position of the closing quote, or -1. */
function plainString(b: Buffer, i: number): number {
  for (let j = i; j < b.length; j++) {
    const c = b[j] as number;
    if (c === 0x22) return j;
    if (c < 0x20 || c > 0x7e || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) return -1;
  }
  return -1;
}

/** A JSON number whose text is what Go writes for its float64 value; position after it, or -1. */
function canonicalFloat(b: Buffer, i: number): number {
  let j = i;
  if (b[j] === 0x2d) j++;
  if (!isDigit(b[j])) return -1;
  while (isDigit(b[j]) || b[j] === 0x2e || b[j] === 0x65 || b[j] === 0x45 || b[j] === 0x2b || b[j] === 0x2d) j++;
  const text = b.toString('latin1', i, j);
  // Number() accepts more than JSON (e.g. "1." or "1e"), but the text must also equal goFloat of
  // its value, and goFloat only ever writes valid JSON numbers.
  const n = Number(text);
  return Number.isFinite(n) && goFloat(n) === text ? j : -1;
}

/** `null` or `{"k":float,…}` with strictly ascending plain keys; position after it, or -1. */
function latency(b: Buffer, i: number): number {
  if (b[i] === 0x6e) return expect(b, i, NULL);
  if (b[i] !== 0x7b) return -1;
  i++;
  if (b[i] === 0x7d) return i + 1;
  let previous: string | undefined;
  for (;;) {
    if (b[i] !== 0x22) return -1;
    const close = plainString(b, i + 1);
    if (close < 0) return -1;
    const key = b.toString('latin1', i + 1, close);
    if (previous !== undefined && !(previous < key)) return -1;
    previous = key;
    if (b[close + 1] !== 0x3a) return -1;
    i = canonicalFloat(b, close + 2);
    if (i < 0) return -1;
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i++;
  }
}

/** `null` or `["…",…]` of plain strings (canonical prefixes when `prefixes`); position after it, or -1. */
function stringList(b: Buffer, i: number, prefixes: boolean): number {
  if (b[i] === 0x6e) return expect(b, i, NULL);
  if (b[i] !== 0x5b) return -1;
  i++;
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    if (b[i] !== 0x22) return -1;
    const close = plainString(b, i + 1);
    if (close < 0) return -1;
    if (prefixes && !isCanonicalPrefix(b.toString('latin1', i + 1, close))) return -1;
    i = close + 1;
    if (b[i] === 0x5d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i++;
  }
}

function isCanonicalPrefix(text: string): boolean {
  try {
    return canonicalPrefix(text) === text;
  } catch {
    return false;
  }
}

function twoDigits(b: Buffer, i: number): number {
  const hi = (b[i] as number) - 0x30;
  const lo = (b[i + 1] as number) - 0x30;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z"` with a valid date and clock and no trailing fraction zero:
 * exactly the texts reencodeGoTimeString (go-time-parse.ts) returns unchanged through its
 * canonical branch. Position of the closing quote, or -1 (other forms take the strict path).
 */
function canonicalTimeEnd(b: Buffer, i: number): number {
  if (i + 21 > b.length) return -1;
  const century = twoDigits(b, i);
  const yy = twoDigits(b, i + 2);
  const month = twoDigits(b, i + 5);
  const day = twoDigits(b, i + 8);
  const hour = twoDigits(b, i + 11);
  const minute = twoDigits(b, i + 14);
  const second = twoDigits(b, i + 17);
  if (century < 0 || yy < 0 || b[i + 4] !== 0x2d || b[i + 7] !== 0x2d || b[i + 10] !== 0x54 || b[i + 13] !== 0x3a || b[i + 16] !== 0x3a) return -1;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(month, century * 100 + yy) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return -1;
  let j = i + 19;
  if (b[j] === 0x2e) {
    const from = ++j;
    while (isDigit(b[j])) j++;
    if (j === from || j - from > 9 || b[j - 1] === 0x30) return -1;
  }
  return b[j] === 0x5a && b[j + 1] === 0x22 ? j + 1 : -1;
}

/**
 * The last segments one connection's nodes carried that passed the expensive checks (Go float
 * texts, sorted latency keys, canonical prefixes). A node's DERP latencies and addresses change
 * far less often than its endpoints and `as_of`, so a later node whose segment is byte-for-byte
 * the one already checked skips the check: each segment is a complete JSON value and its
 * check never reads past its last byte, so equal bytes give the same answer.
 */
export class CanonicalMemo {
  latency: Buffer | undefined = undefined;
  addresses: Buffer | undefined = undefined;
  allowedIps: Buffer | undefined = undefined;
}

/** True when `b` holds `seg` at `i`. */
function holds(b: Buffer, i: number, seg: Buffer | undefined): seg is Buffer {
  return seg !== undefined && i + seg.length <= b.length && b.compare(seg, 0, seg.length, i, i + seg.length) === 0;
}

/** A copy of `b[from, to)`: a segment just checked, for the memo (only on a change, never per update). */
function copyOf(b: Buffer, from: number, to: number): Buffer {
  return Buffer.from(b.subarray(from, to));
}

/**
 * True when `b` is exactly one Node, valid for Go, in Go's own encoding: then the strict decode
 * accepts it and `encodeNode` of the result writes the same bytes. With `memo` (one per
 * connection) segments equal to the ones last checked on that connection are not checked again.
 */
export function isCanonicalNode(b: Buffer, memo?: CanonicalMemo): boolean {
  let i = expect(b, 0, P_ID);
  if (i < 0 || (i = canonicalInt(b, i, 19)) < 0) return false;
  if ((i = expect(b, i, P_AS_OF)) < 0) return false;
  const timeClose = canonicalTimeEnd(b, i);
  if (timeClose < 0) return false;
  if ((i = expect(b, timeClose, P_KEY)) < 0 || (i = lowerHex64(b, i)) < 0) return false;
  if ((i = expect(b, i, P_DISCO)) < 0 || (i = lowerHex64(b, i)) < 0) return false;
  // Go's int is 64-bit but the Node keeps a JS number: 15 digits stay exact.
  if ((i = expect(b, i, P_DERP)) < 0 || (i = canonicalInt(b, i, 15)) < 0) return false;
  if ((i = expect(b, i, P_LATENCY)) < 0) return false;
  // A segment the memo holds is taken as checked; one that differs is checked and, when the
  // whole node passes, copied into the memo (a changed segment is the only case that allocates).
  const latencyAt = i;
  const latencyMemo = memo?.latency;
  const latencyHeld = holds(b, i, latencyMemo);
  if (latencyHeld) i += latencyMemo.length;
  else if ((i = latency(b, i)) < 0) return false;
  const latencyEnd = i;
  if ((i = expect(b, i, P_ADDRESSES)) < 0) return false;
  const addressesAt = i;
  const addressesMemo = memo?.addresses;
  const addressesHeld = holds(b, i, addressesMemo);
  if (addressesHeld) i += addressesMemo.length;
  else if ((i = stringList(b, i, true)) < 0) return false;
  const addressesEnd = i;
  if ((i = expect(b, i, P_ALLOWED)) < 0) return false;
  const allowedAt = i;
  const allowedMemo = memo?.allowedIps;
  const allowedHeld = holds(b, i, allowedMemo);
  if (allowedHeld) i += allowedMemo.length;
  else if ((i = stringList(b, i, true)) < 0) return false;
  const allowedEnd = i;
  if ((i = expect(b, i, P_ENDPOINTS)) < 0 || (i = stringList(b, i, false)) < 0) return false;
  if (b[i] !== 0x7d || i + 1 !== b.length) return false;
  if (memo) {
    if (!latencyHeld) memo.latency = copyOf(b, latencyAt, latencyEnd);
    if (!addressesHeld) memo.addresses = copyOf(b, addressesAt, addressesEnd);
    if (!allowedHeld) memo.allowedIps = copyOf(b, allowedAt, allowedEnd);
  }
  return true;
}
