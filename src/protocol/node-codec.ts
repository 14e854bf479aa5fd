/**
 * The tailnet Node codec (protocol §7.2): decoding is as strict as Go's decode into `tailnet.Node`
 * (typed fields, key and prefix formats, case-insensitive keys, unknown keys dropped, missing keys
 * left at Go zero values), and encoding writes Go's field order with the int64 id exact.
 */
import type { TailnetNode } from './tailnet-node.js';
import { GO_ZERO_TIME } from './go-time.js';
import { goFloat, goHtmlEscape } from './go-json.js';
import { parseRaw, RawNumber, RawObject, type RawValue } from './lossless-json.js';
import { canonicalPrefix, NetipError } from './netip.js';
import { GoTimeError, reencodeGoTimeJson, reencodeGoTimeString } from './go-time-parse.js';

/** A Node that Go would refuse; `message` reads like Go's error text. */
export class NodeDecodeError extends Error {
  override readonly name = 'NodeDecodeError';
}

const ZERO_HEX = '0'.repeat(64);
export const ZERO_NODE_KEY = `nodekey:${ZERO_HEX}`;
export const ZERO_DISCO_KEY = `discokey:${ZERO_HEX}`;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT_PATTERN = /^-?\d+$/;

/** A fresh Node with Go zero values. */
export function zeroNode(): TailnetNode {
  return {
    id: 0n,
    as_of: GO_ZERO_TIME,
    key: ZERO_NODE_KEY,
    disco: ZERO_DISCO_KEY,
    preferred_derp: 0,
    derp_latency: null,
    addresses: null,
    allowed_ips: null,
    endpoints: null,
  };
}

function jsonKind(v: RawValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof RawNumber) return 'number';
  if (v instanceof RawObject) return 'object';
  return 'array';
}

/** Collects Go's "saved" type errors: the first one is reported after the whole value is read. */
class Ctx {
  saved: string | undefined;
  /** `literal`: Go names the number's text only when an int/float parse failed. */
  typeError(v: RawValue, field: string, goType: string, literal = false): void {
    const what = literal && v instanceof RawNumber ? `number ${v.text}` : jsonKind(v);
    this.saved ??= `json: cannot unmarshal ${what} into Go struct field Node.${field} of type ${goType}`;
  }
}

function decodeInt(ctx: Ctx, v: RawNumber, field: string, goType: string, bits: 64): bigint | undefined {
  if (!INT_PATTERN.test(v.text)) return void ctx.typeError(v, field, goType, true);
  const n = BigInt(v.text);
  if (bits === 64 && (n < INT64_MIN || n > INT64_MAX)) return void ctx.typeError(v, field, goType, true);
  return n;
}

function decodeKey(ctx: Ctx, v: RawValue, field: string, prefix: string, goType: string): string | undefined {
  if (v === null) return undefined;
  if (typeof v !== 'string') return void ctx.typeError(v, field, goType);
  if (!v.startsWith(prefix)) throw new NodeDecodeError(`key hex string doesn't have expected type prefix ${prefix}`);
  const hex = v.slice(prefix.length);
  if (hex.length !== 64) throw new NodeDecodeError(`key hex has the wrong size, got ${hex.length} want 64`);
  let upper = false;
  for (let i = 0; i < 64; i++) {
    const c = hex.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) upper = true;
    else throw new NodeDecodeError('invalid hex character in key');
  }
  // Go stores the bytes and writes lower-case hex back.
  return upper ? prefix + hex.toLowerCase() : v;
}

function decodePrefixes(ctx: Ctx, v: RawValue, field: string, current: string[] | null): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) {
    ctx.typeError(v, field, '[]netip.Prefix');
    return current;
  }
  const out: string[] = [];
  for (const item of v) {
    if (item === null) out.push('');
    else if (typeof item !== 'string') {
      ctx.typeError(item, field, 'netip.Prefix');
      out.push('');
    } else {
      try {
        out.push(canonicalPrefix(item));
      } catch (e) {
        if (e instanceof NetipError) throw new NodeDecodeError(e.message);
        throw e;
      }
    }
  }
  return out;
}

function decodeStrings(ctx: Ctx, v: RawValue, field: string, current: string[] | null): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) {
    ctx.typeError(v, field, '[]string');
    return current;
  }
  const out: string[] = [];
  for (const item of v) {
    if (typeof item === 'string') out.push(item);
    else {
      if (item !== null) ctx.typeError(item, field, 'string');
      out.push('');
    }
  }
  return out;
}

/** Module level, not a closure: tsx would wrap a per-call closure in a `__name` helper call. */
function setLatency(out: Record<string, number>, key: string, n: number): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value: n, enumerable: true, writable: true, configurable: true });
  else out[key] = n;
}

function decodeLatency(ctx: Ctx, v: RawValue, current: Record<string, number> | null): Record<string, number> | null {
  if (v === null) return null;
  if (!(v instanceof RawObject)) {
    ctx.typeError(v, 'derp_latency', 'map[string]float64');
    return current;
  }
  // Go decodes into the existing map (a repeated key merges).
  const out: Record<string, number> = current ?? {};
  for (let i = 0; i < v.keys.length; i++) {
    const key = v.keys[i] as string;
    const item = v.values[i] as RawValue;
    if (item === null) setLatency(out, key, 0);
    else if (item instanceof RawNumber) {
      const n = Number(item.text);
      if (Number.isFinite(n)) setLatency(out, key, n);
      else ctx.typeError(item, 'derp_latency', 'float64', true);
    } else ctx.typeError(item, 'derp_latency', 'float64');
  }
  return out;
}

function fieldOf(key: string): string {
  switch (key) {
    case 'id':
    case 'as_of':
    case 'key':
    case 'disco':
    case 'preferred_derp':
    case 'derp_latency':
    case 'addresses':
    case 'allowed_ips':
    case 'endpoints':
      return key;
    default:
      // Go matches keys case-insensitively (with its Unicode folds for k and s).
      return key.toLowerCase().replace(/\u017f/g, 's');
  }
}

/** Decodes one Node like Go's json decode into tailnet.Node. Throws NodeDecodeError. */
export function decodeNode(text: string): TailnetNode {
  let tree: RawValue;
  try {
    tree = parseRaw(text);
  } catch (e) {
    throw new NodeDecodeError((e as Error).message);
  }
  return decodeNodeValue(tree);
}

/** Decodes an already-parsed raw value into a Node. */
export function decodeNodeValue(tree: RawValue): TailnetNode {
  const node = zeroNode();
  if (tree === null) return node;
  if (!(tree instanceof RawObject)) {
    throw new NodeDecodeError(`json: cannot unmarshal ${jsonKind(tree)} into Go value of type tailnet.Node`);
  }
  const ctx = new Ctx();
  try {
    for (let i = 0; i < tree.keys.length; i++) {
      const v = tree.values[i] as RawValue;
      switch (fieldOf(tree.keys[i] as string)) {
        case 'id':
          if (v instanceof RawNumber) node.id = decodeInt(ctx, v, 'id', 'tailcfg.NodeID', 64) ?? node.id;
          else if (v !== null) ctx.typeError(v, 'id', 'tailcfg.NodeID');
          break;
        case 'as_of':
          if (v === null) break;
          node.as_of = typeof v === 'string' ? reencodeGoTimeString(v) : reencodeGoTimeJson(v instanceof RawNumber ? v.text : jsonKind(v));
          break;
        case 'key':
          node.key = decodeKey(ctx, v, 'key', 'nodekey:', 'key.NodePublic') ?? node.key;
          break;
        case 'disco':
          node.disco = decodeKey(ctx, v, 'disco', 'discokey:', 'key.DiscoPublic') ?? node.disco;
          break;
        case 'preferred_derp':
          if (v instanceof RawNumber) {
            const n = decodeInt(ctx, v, 'preferred_derp', 'int', 64);
            if (n !== undefined) node.preferred_derp = Number(n);
          } else if (v !== null) ctx.typeError(v, 'preferred_derp', 'int');
          break;
        case 'derp_latency':
          node.derp_latency = decodeLatency(ctx, v, node.derp_latency);
          break;
        case 'addresses':
          node.addresses = decodePrefixes(ctx, v, 'addresses', node.addresses);
          break;
        case 'allowed_ips':
          node.allowed_ips = decodePrefixes(ctx, v, 'allowed_ips', node.allowed_ips);
          break;
        case 'endpoints':
          node.endpoints = decodeStrings(ctx, v, 'endpoints', node.endpoints);
          break;
        default:
          break; // unknown keys are dropped
      }
    }
  } catch (e) {
    if (e instanceof GoTimeError) throw new NodeDecodeError(e.message);
    throw e;
  }
  if (ctx.saved) throw new NodeDecodeError(ctx.saved);
  return node;
}

/** Decodes a JSON array of Nodes (what a server sends to an agent or client). */
export function decodeNodeArray(text: string): TailnetNode[] {
  let tree: RawValue;
  try {
    tree = parseRaw(text);
  } catch (e) {
    throw new NodeDecodeError((e as Error).message);
  }
  if (tree === null) return [];
  if (!Array.isArray(tree)) {
    throw new NodeDecodeError(`json: cannot unmarshal ${jsonKind(tree)} into Go value of type []*tailnet.Node`);
  }
  return tree.map((item) => decodeNodeValue(item));
}

/** JSON string as Go writes it; plain printable ASCII (keys, times, addresses) skips the escaper. */
function encodeString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      return goHtmlEscape(JSON.stringify(s));
    }
  }
  return `"${s}"`;
}

function encodeStringList(list: readonly string[] | null): string {
  if (list === null) return 'null';
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i ? ',' : '') + encodeString(list[i] as string);
  return out + ']';
}

/** Go json.Marshal of a Node: field order of the Go struct, map keys sorted, no trailing newline. */
export function encodeNode(node: TailnetNode): string {
  let latency = 'null';
  if (node.derp_latency !== null) {
    const keys = Object.keys(node.derp_latency).sort();
    latency = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      latency += `${i ? ',' : ''}${encodeString(k)}:${goFloat(node.derp_latency[k] as number)}`;
    }
    latency += '}';
  }
  return (
    `{"id":${node.id.toString()},"as_of":${encodeString(node.as_of)},"key":${encodeString(node.key)},` +
    `"disco":${encodeString(node.disco)},"preferred_derp":${Math.trunc(node.preferred_derp)},` +
    `"derp_latency":${latency},"addresses":${encodeStringList(node.addresses)},` +
    `"allowed_ips":${encodeStringList(node.allowed_ips)},"endpoints":${encodeStringList(node.endpoints)}}`
  );
}

/** `[node,node,…]` as the server sends it. */
export function encodeNodeArray(nodes: readonly TailnetNode[]): string {
  let out = '[';
  for (let i = 0; i < nodes.length; i++) out += (i ? ',' : '') + encodeNode(nodes[i] as TailnetNode);
  return out + ']';
}
