/**
 * A minimal, strict DER reader that keeps exact byte ranges (the PKCS7 verifier needs the raw
 * encodings of the signer's issuer name, certificates and signed attributes; re-encoding through
 * node-forge's ASN.1 objects is not guaranteed byte-exact).
 */

export interface Der {
  /** The identifier octet (class | constructed | tag number, low-tag-number form only). */
  tag: number;
  /** The whole TLV. */
  raw: Buffer;
  /** The content octets. */
  content: Buffer;
}

export class DerError extends Error {}

/** Reads one TLV at `offset` of `buf`. */
export function readTlv(buf: Buffer, offset = 0): Der {
  if (offset + 2 > buf.length) throw new DerError('asn1: syntax error: data truncated');
  const tag = buf[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError('asn1: structure error: high-tag-number form not supported');
  let len = buf[offset + 1] ?? 0;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('asn1: structure error: indefinite or too long length');
    if (offset + 2 + n > buf.length) throw new DerError('asn1: syntax error: data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] ?? 0);
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw new DerError('asn1: syntax error: data truncated');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end) };
}

/** Parses the whole buffer as exactly one TLV (trailing bytes are an error, like Go). */
export function parseDer(buf: Buffer): Der {
  const d = readTlv(buf, 0);
  if (d.raw.length !== buf.length) throw new DerError('asn1: syntax error: trailing data');
  return d;
}

/** The children of a constructed value. */
export function children(d: Der): Der[] {
  if ((d.tag & 0x20) === 0) throw new DerError(`asn1: structure error: tag 0x${d.tag.toString(16)} is not constructed`);
  const out: Der[] = [];
  let off = 0;
  while (off < d.content.length) {
    const c = readTlv(d.content, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

/** Asserts the tag and returns the value, for readable parsing code. */
export function expectTag(d: Der | undefined, tag: number, what: string): Der {
  if (!d) throw new DerError(`asn1: structure error: missing ${what}`);
  if (d.tag !== tag) {
    throw new DerError(`asn1: structure error: tags don't match (${what}: want 0x${tag.toString(16)}, got 0x${d.tag.toString(16)})`);
  }
  return d;
}

/** Decodes an OBJECT IDENTIFIER's content to dotted form. */
export function oidToString(d: Der): string {
  expectTag(d, 0x06, 'object identifier');
  const b = d.content;
  if (b.length === 0) throw new DerError('asn1: syntax error: zero length OBJECT IDENTIFIER');
  const first = b[0] ?? 0;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    const byte = b[i] ?? 0;
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
