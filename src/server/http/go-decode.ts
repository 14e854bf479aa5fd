import { parseGoUuid } from '../go-text.js';

/**
 * Request-body decoding with Go `encoding/json` semantics (protocol §1.3): keys match
 * case-insensitively, unknown keys are ignored, JSON `null` leaves the zero value, a wrong type
 * is an error, an empty body is `EOF`, and data after the first value is ignored (a
 * json.Decoder reads one value). The error text imitates Go's; the route answers 400
 * `Request body must be valid JSON.` with it as the detail.
 */
export type FieldKind = 'string' | 'int64' | 'mapStringInt64' | 'mapUuidString';

export interface FieldSpec {
  /** JSON name (lower-case match is used). */
  json: string;
  kind: FieldKind;
  /** Go type name used in error texts, e.g. `codersdk.WorkspaceAgentLifecycle`. */
  goType: string;
}

export interface StructSpec {
  /** Go struct name as it appears in `Go struct field <Name>.<field>`. */
  name: string;
  /** Qualified Go type, e.g. `agentsdk.Stats`. */
  goType: string;
  fields: readonly FieldSpec[];
}

export type Decoded = { ok: true; value: Record<string, unknown> } | { ok: false; detail: string };

/** Parses a body into a JSON value, with Go decoder error texts. */
export function parseGoJsonValue(text: string): { ok: true; value: unknown } | { ok: false; detail: string } {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (start === text.length) return { ok: false, detail: 'EOF' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    if (message.includes('non-whitespace character after JSON') && position) {
      // json.Decoder stops after the first value: trailing bytes are never read.
      try {
        return { ok: true, value: JSON.parse(text.slice(0, Number(position[1]))) };
      } catch {
        /* fall through to the generic text */
      }
    }
    if (message.includes('end of JSON input') || message.includes('Unterminated string')) return { ok: false, detail: 'unexpected EOF' };
    const at = position ? Number(position[1]) : start;
    const ch = text[at] ?? text[start] ?? '?';
    return { ok: false, detail: `invalid character ${quoteChar(ch)} looking for beginning of value` };
  }
}

function quoteChar(ch: string): string {
  if (ch === "'") return `'\\''`;
  if (ch === '"') return `'"'`;
  const c = ch.charCodeAt(0);
  if (c < 0x20) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number'
}

// int64 max (2^63 - 1) is not a double: the text "9223372036854775807" parses to 2^63, which Go
// accepts, so only magnitudes above 2^63 are out of range here.
const INT64_LIMIT = 2 ** 63;

function checkInt(v: unknown, where: string, goType: string): string | undefined {
  if (typeof v !== 'number') return `json: cannot unmarshal ${kindOf(v)} into ${where} of type ${goType}`;
  if (!Number.isInteger(v) || Math.abs(v) > INT64_LIMIT) return `json: cannot unmarshal number ${String(v)} into ${where} of type ${goType}`;
  return undefined;
}

/** Decodes `text` into the struct described by `spec`; absent fields are `undefined`. */
export function decodeGoStruct(text: string, spec: StructSpec): Decoded {
  const parsed = parseGoJsonValue(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  const out: Record<string, unknown> = {};
  if (root === null) return { ok: true, value: out };
  if (typeof root !== 'object' || Array.isArray(root)) {
    return { ok: false, detail: `json: cannot unmarshal ${kindOf(root)} into Go value of type ${spec.goType}` };
  }
  let firstError: string | undefined;
  for (const key of Object.keys(root)) {
    const lower = key.toLowerCase();
    const field = spec.fields.find((f) => f.json === lower);
    if (!field) continue;
    const raw = (root as Record<string, unknown>)[key];
    if (raw === null) continue;
    const where = `Go struct field ${spec.name}.${field.json}`;
    const result = decodeField(raw, field, where);
    if (typeof result === 'string') {
      // Go keeps decoding and reports the first type error; syntax errors do not occur here.
      firstError ??= result;
      if (!result.startsWith('json:')) return { ok: false, detail: result };
      continue;
    }
    out[field.json] = result.value;
  }
  if (firstError !== undefined) return { ok: false, detail: firstError };
  return { ok: true, value: out };
}

function decodeField(raw: unknown, field: FieldSpec, where: string): { value: unknown } | string {
  switch (field.kind) {
    case 'string':
      return typeof raw === 'string' ? { value: raw } : `json: cannot unmarshal ${kindOf(raw)} into ${where} of type ${field.goType}`;
    case 'int64': {
      const e = checkInt(raw, where, field.goType);
      return e ?? { value: raw };
    }
    case 'mapStringInt64': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return `json: cannot unmarshal ${kindOf(raw)} into ${where} of type ${field.goType}`;
      const map: Record<string, number> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (v === null) {
          map[k] = 0;
          continue;
        }
        const e = checkInt(v, where, 'int64');
        if (e) return e;
        map[k] = v as number;
      }
      return { value: map };
    }
    case 'mapUuidString': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return `json: cannot unmarshal ${kindOf(raw)} into ${where} of type ${field.goType}`;
      const map = new Map<string, string>();
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const id = parseGoUuid(k);
        // A TextUnmarshaler failure on a map key aborts decoding with its own text (not json:).
        if (!id.ok) return id.error;
        if (v === null) {
          map.set(id.uuid, '');
          continue;
        }
        if (typeof v !== 'string') return `json: cannot unmarshal ${kindOf(v)} into ${where} of type ${field.goType.replace(/^map\[[^\]]+\]/, '')}`;
        map.set(id.uuid, v);
      }
      return { value: map };
    }
  }
}
