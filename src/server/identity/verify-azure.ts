import { createHash, verify, X509Certificate } from 'node:crypto';
import { goQuote } from '../../protocol/go-json.js';
import { decodeGoStruct, goBase64Decode, goJsonParse } from './go-decode.js';
import { certificateFor } from './key-cache.js';
import { certFields, commonName, parsePkcs7, type CertFields, type SignedData, type SignerInfo } from './pkcs7.js';

const CN_RE = /^(.*\.)?metadata\.(azure\.(com|us|cn)|microsoftazure\.de)$/;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';
const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

type Result = { ok: true; vmId: string } | { ok: false; detail: string };
type ParsedCert = { x509: X509Certificate; fields: CertFields; key: string };

/**
 * Every fake agent sends the same signer cert: parsing it and checking its signature against the
 * root dominate the cost (~1 ms), so both are cached (bounded) by the cert's DER.
 */
const parsedCerts = new Map<string, ParsedCert>();
const issuedByRoot = new Map<string, boolean>();

function parseCert(der: Buffer): ParsedCert {
  const key = der.toString('base64');
  let hit = parsedCerts.get(key);
  if (!hit) {
    hit = { x509: new X509Certificate(der), fields: certFields(der), key };
    if (parsedCerts.size >= 256) parsedCerts.clear();
    parsedCerts.set(key, hit);
  }
  return hit;
}

/**
 * coderd's azureidentity.Validate (protocol §5.1) against one configured root and no
 * intermediates, plus the PKCS7 content-signature check coderd skips ([Q]): a reference server
 * that accepts forged content would hide bugs in the fake agents' signers.
 */
export function validateAzure(signature: string, rootPem: string, nowMs: number): Result {
  const raw = goBase64Decode(signature);
  if (!raw.ok) return { ok: false, detail: `decode base64: ${raw.error}` };
  let p7: SignedData;
  try {
    p7 = parsePkcs7(raw.bytes);
  } catch (err) {
    return { ok: false, detail: `parse pkcs7: ${(err as Error).message}` };
  }
  // Parse every certificate first, as Go's parse does (x509.ParseCertificates).
  const certs: ParsedCert[] = [];
  try {
    for (const der of p7.certificates) certs.push(parseCert(der));
  } catch {
    return { ok: false, detail: 'parse pkcs7: x509: malformed certificate' };
  }
  // GetOnlySigner: exactly one SignerInfo whose issuer+serial names one of the certificates.
  const info = p7.signers.length === 1 ? p7.signers[0] : undefined;
  const signer = info && certs.find((c) => c.fields.serial.equals(info.serial) && c.fields.issuerDer.equals(info.issuerDer));
  if (!info || !signer) return { ok: false, detail: 'no signers for signature' };
  const cn = commonName(signer.fields.subjectDer);
  if (!CN_RE.test(cn)) return { ok: false, detail: `unmatched common name of signer: ${goQuote(cn)}` };
  const chainError = verifyChain(signer, rootPem, nowMs);
  if (chainError) return { ok: false, detail: `verify certificates: ${chainError}` };
  const sigError = verifyContentSignature(info, signer.x509, p7.content);
  if (sigError) return { ok: false, detail: `verify signature: ${sigError}` };
  const parsed = goJsonParse(p7.content);
  if (!parsed.ok) return { ok: false, detail: `unmarshal metadata: ${parsed.error}` };
  const meta = decodeGoStruct(parsed.value, 'azureidentity.metadata', [{ name: 'vmId', type: 'string' }]);
  if (!meta.ok) return { ok: false, detail: `unmarshal metadata: ${meta.error}` };
  return { ok: true, vmId: typeof meta.values.vmId === 'string' ? meta.values.vmId : '' };
}

const goTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** x509.Certificate.Verify with Roots = {root}: validity, a one-step chain, ExtKeyUsageServerAuth. */
function verifyChain(signer: ParsedCert, rootPem: string, nowMs: number): string | undefined {
  const validity = (f: CertFields): string | undefined => {
    if (nowMs < f.notBefore) return `x509: certificate has expired or is not yet valid: current time ${goTime(nowMs)} is before ${goTime(f.notBefore)}`;
    if (nowMs > f.notAfter) return `x509: certificate has expired or is not yet valid: current time ${goTime(nowMs)} is after ${goTime(f.notAfter)}`;
    return undefined;
  };
  const leafInvalid = validity(signer.fields);
  if (leafInvalid) return leafInvalid;
  const root = certificateFor(rootPem);
  const rootFields = parseCert(Buffer.from(root.raw)).fields;
  if (!signer.x509.raw.equals(root.raw)) {
    if (!signer.fields.issuerDer.equals(rootFields.subjectDer) || !signer.x509.checkIssued(root)) {
      return 'x509: certificate signed by unknown authority';
    }
    const cacheKey = `${signer.key}\u0000${rootPem}`;
    let good = issuedByRoot.get(cacheKey);
    if (good === undefined) {
      good = signer.x509.verify(root.publicKey);
      if (issuedByRoot.size >= 256) issuedByRoot.clear();
      issuedByRoot.set(cacheKey, good);
    }
    if (!good) {
      return `x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate ${goQuote(commonName(rootFields.subjectDer))})`;
    }
    const rootInvalid = validity(rootFields);
    if (rootInvalid) return rootInvalid;
  }
  const eku = signer.x509.keyUsage; // node names the extended key usage OIDs `keyUsage`
  if (eku && eku.length > 0 && !eku.includes(SERVER_AUTH) && !eku.includes(ANY_EKU)) {
    return 'x509: certificate specifies an incompatible key usage';
  }
  return undefined;
}

/** The CMS signature check coderd leaves out: content digest, then RSA over the signed attributes. */
function verifyContentSignature(info: SignerInfo, signer: X509Certificate, content: Buffer): string | undefined {
  const hash = HASHES[info.digestAlgorithm];
  if (!hash) return `pkcs7: unsupported digest algorithm ${info.digestAlgorithm}`;
  let signed = content;
  if (info.signedAttrsSet) {
    const digest = createHash(hash).update(content).digest();
    if (!info.messageDigest?.equals(digest)) return 'pkcs7: message digest mismatch';
    signed = info.signedAttrsSet;
  }
  let good = false;
  try {
    good = verify(hash, signed, signer.publicKey, info.signature);
  } catch {
    good = false;
  }
  return good ? undefined : 'crypto/rsa: verification error';
}
