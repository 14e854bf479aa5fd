import { createHash, sign, X509Certificate } from 'node:crypto';
import type { IdentityMaterial } from '../../protocol/credentials.js';
import { explicit, nullValue, octets, OID, oid, seq, setOf, smallInt, tlv, utcTime } from './der.js';
import { privateKeyFor } from './key-cache.js';

/** The body of `POST /workspaceagents/azure-instance-identity` (protocol §5.1). */
export interface AzureIdentityBody {
  /** Base64 of a DER PKCS7 signedData whose content is the attested-document JSON. */
  signature: string;
  encoding: 'pkcs7';
}

interface SignerCert {
  der: Buffer;
  /** The DER of issuer Name + serial INTEGER, as IssuerAndSerialNumber needs them. */
  issuerAndSerial: Buffer;
}

const certs = new Map<string, SignerCert>();

/** Splits a cert's TBS far enough to copy its serial and issuer bytes verbatim. */
function signerCert(pem: string): SignerCert {
  let hit = certs.get(pem);
  if (hit) return hit;
  const der = Buffer.from(new X509Certificate(pem).raw);
  const tbs = firstChildren(firstChildren(der)[0] ?? Buffer.alloc(0));
  const offset = tbs[0]?.[0] === 0xa0 ? 1 : 0; // optional [0] version
  const serial = tbs[offset];
  const issuer = tbs[offset + 2];
  if (!serial || !issuer) throw new Error('azure signer: malformed certificate');
  hit = { der, issuerAndSerial: seq(issuer, serial) };
  if (certs.size >= 32) certs.clear();
  certs.set(pem, hit);
  return hit;
}

/** The TLVs inside a constructed TLV (definite lengths only; our own certs). */
function firstChildren(tlvBytes: Buffer): Buffer[] {
  const header = (b: Buffer, at: number): [number, number] => {
    const first = b[at + 1] ?? 0;
    if (first < 0x80) return [2, first];
    let len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + (b[at + 2 + i] ?? 0);
    return [2 + (first & 0x7f), len];
  };
  const [h, len] = header(tlvBytes, 0);
  const content = tlvBytes.subarray(h, h + len);
  const out: Buffer[] = [];
  for (let at = 0; at < content.length; ) {
    const [ch, clen] = header(content, at);
    out.push(content.subarray(at, at + ch + clen));
    at += ch + clen;
  }
  return out;
}

/** Azure prints attested timestamps as `MM/dd/yy HH:mm:ss -0000`. */
function azureTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(2, 4)} ${iso.slice(11, 19)} -0000`;
}

/**
 * A PKCS7 attested document for `vmId` as IMDS serves it, signed by the `metadata.azure.com`
 * cert of the credentials file (which is included as the only certificate). The DER is built by
 * hand and signed with node:crypto: ~1-2 ms per call.
 */
export function signAzureIdentity(vmId: string, material: IdentityMaterial['azure'], opts: { nowMs?: number } = {}): AzureIdentityBody {
  const now = opts.nowMs ?? Date.now();
  const h = createHash('sha256').update(vmId).digest('hex');
  const subscription = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const nonce = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const content = Buffer.from(
    JSON.stringify({
      nonce,
      plan: { name: '', product: '', publisher: '' },
      timeStamp: { createdOn: azureTime(now), expiresOn: azureTime(now + 6 * 3_600_000) },
      vmId,
      licenseType: '',
      subscriptionId: subscription,
      sku: '22_04-lts-gen2',
    }),
    'utf8',
  );
  const cert = signerCert(material.certificatePem);
  const sha256Alg = seq(oid(OID.sha256), nullValue());
  const attributes = [
    seq(oid(OID.contentType), setOf(oid(OID.data))),
    seq(oid(OID.signingTime), setOf(utcTime(now))),
    seq(oid(OID.messageDigest), setOf(octets(createHash('sha256').update(content).digest()))),
  ];
  // The signature covers the attributes encoded as a SET; inside SignerInfo they are [0] IMPLICIT.
  const signedAttrs = setOf(...attributes);
  const signature = sign('sha256', signedAttrs, privateKeyFor(material.privateKeyPem));
  const signerInfo = seq(
    smallInt(1),
    cert.issuerAndSerial,
    sha256Alg,
    Buffer.concat([Buffer.from([0xa0]), signedAttrs.subarray(1)]),
    seq(oid(OID.rsaEncryption), nullValue()),
    octets(signature),
  );
  const signedData = seq(smallInt(1), setOf(sha256Alg), seq(oid(OID.data), explicit(0, octets(content))), tlv(0xa0, cert.der), setOf(signerInfo));
  const contentInfo = seq(oid(OID.signedData), explicit(0, signedData));
  return { signature: contentInfo.toString('base64'), encoding: 'pkcs7' };
}
