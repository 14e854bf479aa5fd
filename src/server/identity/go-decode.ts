/**
 * Just enough of Go's encoding/json and encoding/base64 behaviour for the identity exchanges to
 * produce coderd-like error details: struct decoding with case-insensitive keys and
 * `UnmarshalTypeError` texts, `json.Unmarshal` syntax errors, and base64 offsets.
 */
import { JsonStreamDecoder, JsonStreamError } from '../../protocol/json-stream.js';

export type GoFieldType = 'string' | 'int64' | 'string[]' | 'time';
export interface GoField {
  name: string;
  type: GoFieldType;
}

export type GoDecodeResult = { ok: true; values: Record<string, unknown> } | { ok: false; error: string };

/** The JSON kind name Go puts in an UnmarshalTypeError. */
export function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number'
}

const GO_TYPE: Record<GoFieldType, string> = { string: 'string', int64: 'int64', 'string[]': '[]string', time: 'time.Time' };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Decodes a JSON.parse result into a Go struct `structName` (e.g. `agentsdk.AWSInstanceIdentityToken`):
 * keys match field names case-insensitively, unknown keys are ignored, `null` leaves a field
 * alone, the last duplicate wins, and the first type error is reported, as Go does.
 */
export function decodeGoStruct(value: unknown, structName: string, fields: readonly GoField[]): GoDecodeResult {
  const values: Record<string, unknown> = {};
  if (value === null) return { ok: true, values };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `json: cannot unmarshal ${goKind(value)} into Go value of type ${structName}` };
  }
  const shortName = structName.slice(structName.lastIndexOf('.') + 1);
  let firstError: string | undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = fields.find((f) => f.name === key) ?? fields.find((f) => f.name.toLowerCase() === key.toLowerCase());
    if (!field || v === null) continue;
    const err = checkType(v, field.type);
    if (err === undefined) values[field.name] = v;
    else if (err === 'type') {
      firstError ??= `json: cannot unmarshal ${goKind(v)} into Go struct field ${shortName}.${field.name} of type ${GO_TYPE[field.type]}`;
    } else firstError ??= err;
  }
  return firstError === undefined ? { ok: true, values } : { ok: false, error: firstError };
}

function checkType(v: unknown, type: GoFieldType): undefined | 'type' | string {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : 'type';
    case 'int64':
      if (typeof v !== 'number') return 'type';
      return Number.isInteger(v) ? undefined : 'type';
    case 'string[]':
      if (!Array.isArray(v)) return 'type';
      return v.every((x) => x === null || typeof x === 'string') ? undefined : 'type';
    case 'time':
      if (typeof v !== 'string') return 'Time.UnmarshalJSON: input is not a JSON string';
      return RFC3339.test(v) ? undefined : `parsing time ${JSON.stringify(JSON.stringify(v))} as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse`;
  }
}

/**
 * `json.Unmarshal`'s syntax check: returns the parsed value, or Go's error text
 * (`invalid character …`, `unexpected end of JSON input`).
 */
export function goJsonParse(bytes: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  const dec = new JsonStreamDecoder({ maxBufferedBytes: Math.max(1 << 20, bytes.length + 1) });
  let texts: string[];
  try {
    // A trailing space lets the scanner finish a bare top-level number or literal.
    texts = dec.push(Buffer.concat([bytes, Buffer.from(' ')]));
  } catch (err) {
    return { ok: false, error: err instanceof JsonStreamError ? err.message : String(err) };
  }
  if (texts.length === 0) return { ok: false, error: 'unexpected end of JSON input' };
  if (texts.length > 1 || dec.pending) {
    const first = Buffer.from(texts[0] ?? '', 'utf8');
    const rest = bytes
      .subarray(bytes.indexOf(first) + first.length)
      .toString('latin1')
      .trimStart();
    return { ok: false, error: `invalid character '${rest[0] ?? '?'}' after top-level value` };
  }
  try {
    return { ok: true, value: JSON.parse(texts[0] ?? '') };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Go's `base64.StdEncoding.DecodeString` (padding required, `\r` and `\n` skipped anywhere) or,
 * with `raw`, `base64.RawURLEncoding` (URL alphabet, no padding). Errors read
 * `illegal base64 data at input byte N` with N an offset into the input.
 */
export function goBase64Decode(text: string, opts: { raw?: boolean } = {}): { ok: true; bytes: Buffer } | { ok: false; error: string } {
  const alphabet = opts.raw ? URL : STD;
  const bad = (at: number) => ({ ok: false as const, error: `illegal base64 data at input byte ${at}` });
  let clean = '';
  let quantumStart = -1;
  let j = 0; // position within the current 4-char quantum
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\r' || ch === '\n') continue;
    if (ch === '=' && !opts.raw) {
      if (j < 2) return bad(i);
      // One '=' after 3 chars ends the data; after 2 chars a second '=' must follow.
      let k = i + 1;
      if (j === 2) {
        while (k < text.length && (text[k] === '\r' || text[k] === '\n')) k++;
        if (k >= text.length) return bad(text.length);
        if (text[k] !== '=') return bad(k);
        k++;
      }
      while (k < text.length && (text[k] === '\r' || text[k] === '\n')) k++;
      if (k < text.length) return bad(k);
      return { ok: true, bytes: Buffer.from(clean, 'base64') };
    }
    if (!alphabet.includes(ch)) return bad(i);
    if (j === 0) quantumStart = i;
    clean += ch;
    j = (j + 1) % 4;
  }
  if (j !== 0 && (!opts.raw || j === 1)) return bad(opts.raw ? text.length : quantumStart);
  return { ok: true, bytes: Buffer.from(clean, opts.raw ? 'base64url' : 'base64') };
}
