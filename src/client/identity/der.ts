/**
 * The few DER encoders the PKCS7 signer needs. Hand-built because node-forge's PKCS7 builder
 * signs in pure JS (~25 ms per call); this plus node:crypto costs ~1-2 ms.
 */

function lengthBytes(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const out: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

/** One TLV with an arbitrary tag byte. */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...c: Uint8Array[]): Buffer => tlv(0x30, ...c);
/** SET OF in DER order: elements sorted by their encodings. */
export const setOf = (...c: Uint8Array[]): Buffer => tlv(0x31, ...[...c].sort(Buffer.compare));
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT (constructed context tag). */
export const explicit = (n: number, ...c: Uint8Array[]): Buffer => tlv(0xa0 | n, ...c);

export function smallInt(n: number): Buffer {
  return tlv(0x02, Buffer.from([n]));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime `YYMMDDhhmmssZ` (valid for 1950-2049, which covers our clocks). */
export function utcTime(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-11-29T19:37:52.000Z
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'latin1'));
}

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;
