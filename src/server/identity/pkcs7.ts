import { children, DerError, expectTag, oidToString, parseDer, type Der } from './der-reader.js';

/** The parts of a PKCS7 signedData the Azure verifier uses, with their exact encodings. */
export interface SignedData {
  content: Buffer;
  certificates: Buffer[];
  signers: SignerInfo[];
}

export interface SignerInfo {
  issuerDer: Buffer;
  serial: Buffer;
  digestAlgorithm: string;
  /** The `[0] IMPLICIT` signed attributes re-tagged as the SET that was signed, if present. */
  signedAttrsSet?: Buffer;
  messageDigest?: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
}

/** The TBS fields the verifier needs, sliced from a certificate's DER. */
export interface CertFields {
  serial: Buffer;
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: number;
  notAfter: number;
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/**
 * Parses a DER ContentInfo holding signedData (what go.mozilla.org/pkcs7 Parse accepts for
 * Azure). Errors read like that library's (`pkcs7: …`, `asn1: …`).
 */
export function parsePkcs7(der: Buffer): SignedData {
  if (der.length === 0) throw new DerError('pkcs7: input data is empty');
  const top = children(expectTag(parseDer(der), 0x30, 'ContentInfo'));
  const type = oidToString(expectTag(top[0], 0x06, 'contentType'));
  if (type !== OID_SIGNED_DATA) throw new DerError('pkcs7: cannot parse data: unimplemented content type');
  const explicit = children(expectTag(top[1], 0xa0, 'content'));
  const sd = children(expectTag(explicit[0], 0x30, 'SignedData'));
  let i = 0;
  expectTag(sd[i++], 0x02, 'version');
  expectTag(sd[i++], 0x31, 'digestAlgorithms');
  const contentInfo = children(expectTag(sd[i++], 0x30, 'contentInfo'));
  let content = Buffer.alloc(0);
  if (contentInfo[1]) {
    const inner = children(expectTag(contentInfo[1], 0xa0, 'content'))[0];
    content = Buffer.from(expectTag(inner, 0x04, 'content octets').content);
  }
  const certificates: Buffer[] = [];
  if (sd[i]?.tag === 0xa0) for (const c of children(sd[i++] as Der)) certificates.push(Buffer.from(c.raw));
  if (sd[i]?.tag === 0xa1) i++; // CRLs
  const signers = children(expectTag(sd[i], 0x31, 'signerInfos')).map(parseSignerInfo);
  return { content, certificates, signers };
}

function parseSignerInfo(d: Der): SignerInfo {
  const f = children(expectTag(d, 0x30, 'SignerInfo'));
  let i = 0;
  expectTag(f[i++], 0x02, 'signer version');
  const ias = children(expectTag(f[i++], 0x30, 'issuerAndSerialNumber'));
  const issuerDer = Buffer.from(expectTag(ias[0], 0x30, 'issuer').raw);
  const serial = Buffer.from(expectTag(ias[1], 0x02, 'serialNumber').content);
  const digestAlgorithm = oidToString(children(expectTag(f[i++], 0x30, 'digestAlgorithm'))[0] as Der);
  const out: SignerInfo = { issuerDer, serial, digestAlgorithm, signatureAlgorithm: '', signature: Buffer.alloc(0) };
  if (f[i]?.tag === 0xa0) {
    const attrs = f[i++] as Der;
    out.signedAttrsSet = Buffer.concat([Buffer.from([0x31]), attrs.raw.subarray(1)]);
    for (const attr of children(attrs)) {
      const [type, values] = children(expectTag(attr, 0x30, 'attribute'));
      if (type && values && oidToString(type) === OID_MESSAGE_DIGEST) {
        out.messageDigest = Buffer.from(expectTag(children(values)[0], 0x04, 'messageDigest').content);
      }
    }
  }
  out.signatureAlgorithm = oidToString(children(expectTag(f[i++], 0x30, 'digestEncryptionAlgorithm'))[0] as Der);
  out.signature = Buffer.from(expectTag(f[i++], 0x04, 'encryptedDigest').content);
  return out;
}

/** Slices serial, issuer, subject and validity out of a certificate's DER. */
export function certFields(der: Buffer): CertFields {
  const tbs = children(expectTag(children(parseDer(der))[0], 0x30, 'tbsCertificate'));
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const serial = Buffer.from(expectTag(tbs[i++], 0x02, 'serial').content);
  i++; // signature algorithm
  const issuerDer = Buffer.from(expectTag(tbs[i++], 0x30, 'issuer').raw);
  const validity = children(expectTag(tbs[i++], 0x30, 'validity'));
  const subjectDer = Buffer.from(expectTag(tbs[i++], 0x30, 'subject').raw);
  return { serial, issuerDer, subjectDer, notBefore: asn1Time(validity[0]), notAfter: asn1Time(validity[1]) };
}

/** The last CN of a Name, as Go's pkix.Name.CommonName keeps it. */
export function commonName(nameDer: Buffer): string {
  let cn = '';
  for (const rdn of children(parseDer(nameDer))) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (type && value && oidToString(type) === '2.5.4.3') cn = value.content.toString('utf8');
    }
  }
  return cn;
}

function asn1Time(d: Der | undefined): number {
  if (!d || (d.tag !== 0x17 && d.tag !== 0x18)) throw new DerError('x509: malformed validity');
  const s = d.content.toString('latin1');
  const m = d.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new DerError('x509: malformed validity');
  let year = Number(m[1]);
  if (d.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
