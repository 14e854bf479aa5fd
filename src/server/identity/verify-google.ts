import { verify } from 'node:crypto';
import { decodeGoStruct, goBase64Decode, goJsonParse } from './go-decode.js';
import { publicKeyFor } from './key-cache.js';

/** One RS256 verification key, like an entry of Google's JWKS. */
export interface GoogleKey {
  kid: string;
  publicKeyPem: string;
}

export type GoogleResult = { ok: true; instanceId: string } | { ok: false; status: 401 | 400; detail: string };

/** Parses one JWT segment: Go's RawURLEncoding then json.Unmarshal. */
function segment(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const b = goBase64Decode(text, { raw: true });
  if (!b.ok) return b;
  return goJsonParse(b.bytes);
}

/**
 * google.golang.org/api/idtoken Validate with an empty audience (protocol §5.1), then coderd's
 * mapstructure decode of `google.compute_engine.instance_id`. Validation failures are 401 with
 * idtoken's error text; a claim of the wrong shape is 400.
 */
export function validateGoogle(token: string, keys: readonly GoogleKey[], nowMs: number): GoogleResult {
  const fail = (detail: string): GoogleResult => ({ ok: false, status: 401, detail });
  const parts = token.split('.');
  if (parts.length !== 3) return fail(`idtoken: invalid token, token must have three segments; found ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const headerJson = segment(h);
  if (!headerJson.ok) return fail(headerJson.error);
  const header = decodeGoStruct(headerJson.value, 'idtoken.jwtHeader', [
    { name: 'alg', type: 'string' },
    { name: 'typ', type: 'string' },
    { name: 'kid', type: 'string' },
  ]);
  if (!header.ok) return fail(header.error);
  const payloadJson = segment(p);
  if (!payloadJson.ok) return fail(payloadJson.error);
  const payload = decodeGoStruct(payloadJson.value, 'idtoken.Payload', [
    { name: 'iss', type: 'string' },
    { name: 'aud', type: 'string' },
    { name: 'exp', type: 'int64' },
    { name: 'iat', type: 'int64' },
    { name: 'sub', type: 'string' },
  ]);
  if (!payload.ok) return fail(payload.error);
  const sig = goBase64Decode(s, { raw: true });
  if (!sig.ok) return fail(sig.error);
  const now = Math.floor(nowMs / 1000);
  const exp = typeof payload.values.exp === 'number' ? payload.values.exp : 0;
  if (now > exp) return fail(`idtoken: token expired: now=${now}, expires=${exp}`);
  const alg = typeof header.values.alg === 'string' ? header.values.alg : '';
  const kid = typeof header.values.kid === 'string' ? header.values.kid : '';
  if (alg !== 'RS256' && alg !== 'ES256') {
    return fail(`idtoken: expected JWT signed with RS256 or ES256 but found ${JSON.stringify(alg)}`);
  }
  // We hold no ES256 (IAP) keys, so an ES256 token never finds its kid.
  const key = alg === 'RS256' ? keys.find((k) => k.kid === kid) : undefined;
  if (!key) return fail('idtoken: could not find matching cert keyId for the token provided');
  let good = false;
  try {
    good = verify('sha256', Buffer.from(`${h}.${p}`, 'latin1'), publicKeyFor(key.publicKeyPem), sig.bytes);
  } catch {
    good = false;
  }
  if (!good) return fail('crypto/rsa: verification error');
  return instanceIdClaim(payloadJson.value as Record<string, unknown>);
}

/** Go %T of a JSON value decoded into interface{}. */
function goTypeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

/** Go %v of a JSON value decoded into interface{} (enough for error texts). */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v !== null && typeof v === 'object') {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  }
  if (v === null) return '<nil>';
  return String(v);
}

/** mapstructure's field lookup: exact name, else case-insensitive. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

function instanceIdClaim(claims: Record<string, unknown>): GoogleResult {
  const bad = (msg: string): GoogleResult => ({ ok: false, status: 400, detail: `1 error(s) decoding:\n\n* ${msg}` });
  const google = field(claims, 'google');
  if (google === undefined || google === null) return { ok: true, instanceId: '' };
  if (typeof google !== 'object' || Array.isArray(google)) return bad(`'google' expected a map, got '${goKind(google)}'`);
  const ce = field(google as Record<string, unknown>, 'compute_engine');
  if (ce === undefined || ce === null) return { ok: true, instanceId: '' };
  if (typeof ce !== 'object' || Array.isArray(ce)) return bad(`'google.compute_engine' expected a map, got '${goKind(ce)}'`);
  const id = field(ce as Record<string, unknown>, 'instance_id');
  if (id === undefined || id === null) return { ok: true, instanceId: '' };
  if (typeof id !== 'string') {
    return bad(`'google.compute_engine.instance_id' expected type 'string', got unconvertible type '${goTypeName(id)}', value: '${goValue(id)}'`);
  }
  return { ok: true, instanceId: id };
}

/** mapstructure reports a non-map by its reflect.Kind. */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}
