/**
 * A small port of Go's net/netip parsing for the Node `addresses` / `allowed_ips` fields
 * (protocol §7.2): validity rules, canonical text (what Go re-encodes) and Go-like error messages.
 */
import { goQuote } from './go-json.js';

/** A Go netip parse error (`ParseAddr("x"): unable to parse IP`, `netip.ParsePrefix(...)`). */
export class NetipError extends Error {
  override readonly name = 'NetipError';
}

class AddrError extends Error {
  constructor(
    readonly msg: string,
    readonly at = '',
  ) {
    super(msg);
  }
}

/** 4 or 16 bytes, plus an optional IPv6 zone. */
export interface Addr {
  bytes: Uint8Array;
  zone: string;
}

function addrErrorText(input: string, e: AddrError): string {
  const base = `ParseAddr(${goQuote(input)}): ${e.msg}`;
  return e.at ? `${base} (at ${goQuote(e.at)})` : base;
}

function parseAddrInner(s: string): Addr {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') return { bytes: parseIPv4(s), zone: '' };
    if (c === ':') return parseIPv6(s);
    if (c === '%') throw new AddrError('missing IPv6 address');
  }
  throw new AddrError('unable to parse IP');
}

function parseIPv4(s: string): Uint8Array {
  const out = new Uint8Array(4);
  let val = 0;
  let pos = 0;
  let digLen = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digLen === 1 && val === 0) throw new AddrError('IPv4 field has octet with leading zero');
      val = val * 10 + (c - 0x30);
      digLen++;
      if (val > 255) throw new AddrError('IPv4 field has value >255');
    } else if (c === 0x2e) {
      if (i === 0 || i === s.length - 1 || s.charCodeAt(i - 1) === 0x2e) {
        throw new AddrError('IPv4 field must have at least one digit', s.slice(i));
      }
      if (pos === 3) throw new AddrError('IPv4 address too long');
      out[pos++] = val;
      val = 0;
      digLen = 0;
    } else {
      throw new AddrError('unexpected character', s.slice(i));
    }
  }
  if (pos < 3) throw new AddrError('IPv4 address too short');
  out[3] = val;
  return out;
}

function parseIPv6(input: string): Addr {
  let s = input;
  let zone = '';
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '') throw new AddrError('zone must be a non-empty string');
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return { bytes: ip, zone };
  }
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const c = s.charCodeAt(off);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else break;
      if (off > 3) throw new AddrError('each colon-separated field must have at most 4 hex digits', s);
      acc = acc * 16 + d;
    }
    if (off === 0) throw new AddrError('each colon-separated field must have at least one digit', s);
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) throw new AddrError('embedded IPv4 address must replace the final 2 fields of the address', s);
      if (i + 4 > 16) throw new AddrError('too many hex fields to fit an embedded IPv4 at the end of the address', s);
      let v4: Uint8Array;
      try {
        v4 = parseIPv4(s);
      } catch (e) {
        throw new AddrError(e instanceof AddrError ? e.msg : String(e), s);
      }
      ip.set(v4, i);
      i += 4;
      s = '';
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s.length === 0) break;
    if (s[0] !== ':') throw new AddrError('unexpected character, want colon', s);
    if (s.length === 1) throw new AddrError('colon must be followed by more characters', s);
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) throw new AddrError('multiple :: in address', s);
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) throw new AddrError('trailing garbage after address', s);
  if (i < 16) {
    if (ellipsis < 0) throw new AddrError('address string too short');
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] as number;
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    throw new AddrError('the :: must expand to at least one field of zeros');
  }
  return { bytes: ip, zone };
}

/** Go's Addr.String(): dotted IPv4, RFC 5952 IPv6, `::ffff:a.b.c.d` for IPv4-mapped. */
export function formatAddr(addr: Addr): string {
  const b = addr.bytes;
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const zone = addr.zone ? `%${addr.zone}` : '';
  let mapped = true;
  for (let k = 0; k < 10; k++) if (b[k] !== 0) mapped = false;
  if (mapped && b[10] === 0xff && b[11] === 0xff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}${zone}`;
  const fields: number[] = [];
  for (let k = 0; k < 16; k += 2) fields.push(((b[k] as number) << 8) | (b[k + 1] as number));
  // Longest run (≥ 2) of zero fields, first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (fields[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && fields[end] === 0) end++;
    if (end - k > bestLen) {
      bestStart = k;
      bestLen = end - k;
    }
    k = end;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (fields[k] as number).toString(16);
  }
  return out + zone;
}

/**
 * Go's netip.ParsePrefix followed by Prefix.MarshalText: returns the canonical `ip/bits` text
 * ("" stays "", the zero Prefix). Throws NetipError with Go's message.
 */
export function canonicalPrefix(s: string): string {
  // Nodes repeat the same few prefixes (the agent address above all): remember valid ones.
  const hit = prefixCache.get(s);
  if (hit !== undefined) return hit;
  const out = parsePrefixText(s);
  if (prefixCache.size >= PREFIX_CACHE_MAX) prefixCache.clear();
  prefixCache.set(s, out);
  return out;
}

const PREFIX_CACHE_MAX = 65536;
const prefixCache = new Map<string, string>();

function parsePrefixText(s: string): string {
  if (s === '') return '';
  const slash = s.lastIndexOf('/');
  const fail = (msg: string): never => {
    throw new NetipError(`netip.ParsePrefix(${goQuote(s)}): ${msg}`);
  };
  if (slash < 0) fail("no '/'");
  let addr: Addr;
  try {
    addr = parseAddrInner(s.slice(0, slash));
  } catch (e) {
    if (e instanceof AddrError) return fail(addrErrorText(s.slice(0, slash), e));
    throw e;
  }
  if (addr.zone) fail('IPv6 zones cannot be present in a prefix');
  const bitsText = s.slice(slash + 1);
  if (!/^[+-]?\d+$/.test(bitsText)) fail(`bad bits after slash: ${goQuote(bitsText)}`);
  const bits = Number(bitsText);
  const max = addr.bytes.length === 4 ? 32 : 128;
  if (bits < 0 || bits > max) fail('prefix length out of range');
  return `${formatAddr(addr)}/${bits}`;
}
