import { constants, createHash, createPublicKey, privateEncrypt, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { IdentityMaterial } from '../../protocol/credentials.js';
import { deterministicRsaKeyPem } from './deterministic-rsa.js';

/**
 * The keys and certificates the reference server trusts for the three instance-identity
 * exchanges (protocol §5.1). Plain strings only, so it can be posted to a worker or written to the
 * credentials file (via {@link identityForCredentials}). Private keys are secrets: never log them.
 */
export interface TrustMaterial {
  /** Stands in for AWS's region certificates: a self-signed RSA cert and its key. */
  aws: { privateKeyPem: string; certificatePem: string };
  /**
   * A test root CA (replacing the system roots coderd would use) and the attested-data signer
   * cert it issued, whose CN is `metadata.azure.com`.
   */
  azure: {
    rootPrivateKeyPem: string;
    rootCertificatePem: string;
    signerPrivateKeyPem: string;
    signerCertificatePem: string;
  };
  /** Stands in for Google's RS256 JWKS: one key, selected by `kid`. */
  google: { privateKeyPem: string; publicKeyPem: string; kid: string };
}

/** Validity window of every generated cert: fixed so seeded material is byte-identical. */
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const NOT_AFTER = new Date('2049-12-31T23:59:59Z');

const cache = new Map<string, Promise<TrustMaterial>>();

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Fresh random material without a seed; deterministic material with one (same seed → same
 * PEMs), cached per seed in this process. Costs ~0.3 s (four 2048-bit keys at ~50 ms each, three
 * forge cert signatures at ~25 ms each).
 */
export function generateTrustMaterial(seed?: string): Promise<TrustMaterial> {
  if (seed === undefined) return Promise.resolve().then(() => buildTrustMaterial(randomBytes(32).toString('hex')));
  let hit = cache.get(seed);
  if (!hit) {
    hit = Promise.resolve().then(() => buildTrustMaterial(seed));
    cache.set(seed, hit);
    hit.catch(() => cache.delete(seed));
  }
  return hit;
}

/** The part of the trust material the fake agents need to sign identities (credentials file). */
export function identityForCredentials(trust: TrustMaterial): IdentityMaterial {
  return {
    aws: { privateKeyPem: trust.aws.privateKeyPem, certificatePem: trust.aws.certificatePem },
    azure: {
      privateKeyPem: trust.azure.signerPrivateKeyPem,
      certificatePem: trust.azure.signerCertificatePem,
      caCertificatePem: trust.azure.rootCertificatePem,
    },
    google: { privateKeyPem: trust.google.privateKeyPem, kid: trust.google.kid },
  };
}

export type Attrs = forge.pki.CertificateField[];

/** The uncached, synchronous builder behind {@link generateTrustMaterial} (same seed → same PEMs). */
export function buildTrustMaterial(seed: string): TrustMaterial {
  const awsKey = deterministicRsaKeyPem(seed, 'aws');
  const rootKey = deterministicRsaKeyPem(seed, 'azure-root');
  const signerKey = deterministicRsaKeyPem(seed, 'azure-signer');
  const googleKey = deterministicRsaKeyPem(seed, 'google');

  const awsSubject: Attrs = [
    { shortName: 'C', value: 'US' },
    { shortName: 'ST', value: 'Washington State' },
    { shortName: 'L', value: 'Seattle' },
    { shortName: 'O', value: 'Amazon Web Services LLC (fleetsim test)' },
  ];
  const awsCert = issueCertificate({
    seed,
    label: 'aws',
    subject: awsSubject,
    issuer: awsSubject,
    subjectKeyPem: awsKey,
    issuerKeyPem: awsKey,
    extensions: [],
  });

  const rootSubject: Attrs = [
    { shortName: 'C', value: 'US' },
    { shortName: 'O', value: 'fleetsim' },
    { shortName: 'CN', value: 'fleetsim Test Azure Root CA' },
  ];
  const rootCert = issueCertificate({
    seed,
    label: 'azure-root',
    subject: rootSubject,
    issuer: rootSubject,
    subjectKeyPem: rootKey,
    issuerKeyPem: rootKey,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signerCert = issueCertificate({
    seed,
    label: 'azure-signer',
    subject: [{ shortName: 'CN', value: 'metadata.azure.com' }],
    issuer: rootSubject,
    subjectKeyPem: signerKey,
    issuerKeyPem: rootKey,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'metadata.azure.com' }] },
    ],
  });

  const googlePublic = createPublicKey(googleKey);
  // Google's kids are 40 hex digits; a hash of the public key keeps ours stable per seed.
  const kid = createHash('sha1')
    .update(googlePublic.export({ type: 'spki', format: 'der' }))
    .digest('hex');

  return {
    aws: { privateKeyPem: awsKey, certificatePem: awsCert },
    azure: {
      rootPrivateKeyPem: rootKey,
      rootCertificatePem: rootCert,
      signerPrivateKeyPem: signerKey,
      signerCertificatePem: signerCert,
    },
    google: {
      privateKeyPem: googleKey,
      publicKeyPem: googlePublic.export({ type: 'spki', format: 'pem' }).toString(),
      kid,
    },
  };
}

/** What {@link issueCertificate} needs; `label` and `seed` make the serial. */
export interface CertSpec {
  seed: string;
  label: string;
  subject: Attrs;
  issuer: Attrs;
  subjectKeyPem: string;
  issuerKeyPem: string;
  extensions: object[];
}

/** Issues a PEM certificate with forge (exported for tests that need odd certs). */
export function issueCertificate(spec: CertSpec): string {
  const cert = forge.pki.createCertificate();
  const spki = createPublicKey(spec.subjectKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  cert.publicKey = forge.pki.publicKeyFromPem(spki);
  // Positive 16-byte serial derived from the seed (top bit cleared so DER needs no pad byte).
  const serial = createHash('sha256').update(`${spec.seed}\0serial\0${spec.label}`).digest().subarray(0, 16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x10;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = NOT_BEFORE;
  cert.validity.notAfter = NOT_AFTER;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer);
  cert.setExtensions([...spec.extensions, { name: 'subjectKeyIdentifier' }]);
  // PKCS#1 v1.5 is deterministic, so the same key and TBS give the same certificate bytes. forge
  // hashes the TBS and asks the key to sign the digest; OpenSSL does the RSA part (forge's pure
  // JS private-key parse + sign costs ~30 ms per cert).
  const signer = {
    sign: (md: forge.md.MessageDigest) => {
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]);
      return privateEncrypt({ key: spec.issuerKeyPem, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
