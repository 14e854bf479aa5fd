import { sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAwsIdentity } from '../../src/client/identity/aws.js';
import { signAzureIdentity } from '../../src/client/identity/azure.js';
import { signGoogleIdentity } from '../../src/client/identity/google.js';
import { deterministicRsaKeyPem } from '../../src/server/identity/deterministic-rsa.js';
import { exchangeInstanceIdentity } from '../../src/server/identity/exchange.js';
import {
  buildTrustMaterial,
  generateTrustMaterial,
  identityForCredentials,
  issueCertificate,
  type TrustMaterial,
} from '../../src/server/identity/trust-material.js';
import type { IdentityMaterial } from '../../src/protocol/credentials.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
let trust: TrustMaterial;
let id: IdentityMaterial;
let other: TrustMaterial; // a second, unrelated set of keys

beforeAll(async () => {
  trust = await generateTrustMaterial('identity-test');
  other = await generateTrustMaterial('identity-test-other');
  id = identityForCredentials(trust);
});

const REQUIRED = 'Validation failed for tag "required" with value: ""';

describe('trust material', () => {
  it('is deterministic per seed and differs between seeds', async () => {
    expect(buildTrustMaterial('identity-test')).toEqual(trust);
    expect(await generateTrustMaterial('identity-test')).toBe(trust);
    expect(other.aws.privateKeyPem).not.toEqual(trust.aws.privateKeyPem);
    expect(deterministicRsaKeyPem('k', 'a', 1024)).toEqual(deterministicRsaKeyPem('k', 'a', 1024));
  });

  it('is random without a seed', async () => {
    const a = await generateTrustMaterial();
    expect(a.google.privateKeyPem).not.toEqual(trust.google.privateKeyPem);
    const r = exchangeInstanceIdentity('google', signGoogleIdentity('i', identityForCredentials(a).google, { nowMs: NOW }), a, NOW);
    expect(r).toEqual({ ok: true, instanceId: 'i' });
  });
});

describe('request body (§1.3)', () => {
  it('lists missing required fields in struct order', () => {
    expect(exchangeInstanceIdentity('aws', {}, trust, NOW)).toEqual({
      ok: false,
      status: 400,
      body: {
        message: 'Validation failed.',
        validations: [
          { field: 'signature', detail: REQUIRED },
          { field: 'document', detail: REQUIRED },
        ],
      },
    });
    expect(exchangeInstanceIdentity('azure', { signature: 'x', encoding: '' }, trust, NOW)).toMatchObject({
      status: 400,
      body: { message: 'Validation failed.', validations: [{ field: 'encoding', detail: REQUIRED }] },
    });
    expect(exchangeInstanceIdentity('google', null, trust, NOW)).toMatchObject({
      status: 400,
      body: { validations: [{ field: 'json_web_token', detail: REQUIRED }] },
    });
  });

  it('rejects wrong JSON types like Go', () => {
    expect(exchangeInstanceIdentity('aws', [], trust, NOW)).toEqual({
      ok: false,
      status: 400,
      body: {
        message: 'Request body must be valid JSON.',
        detail: 'json: cannot unmarshal array into Go value of type agentsdk.AWSInstanceIdentityToken',
      },
    });
    expect(exchangeInstanceIdentity('google', { json_web_token: 5 }, trust, NOW)).toMatchObject({
      status: 400,
      body: {
        message: 'Request body must be valid JSON.',
        detail: 'json: cannot unmarshal number into Go struct field GoogleInstanceIdentityToken.json_web_token of type string',
      },
    });
  });

  it('matches keys case-insensitively', () => {
    const b = signAwsIdentity('i-case', id.aws, { nowMs: NOW });
    expect(exchangeInstanceIdentity('aws', { SIGNATURE: b.signature, Document: b.document }, trust, NOW)).toEqual({
      ok: true,
      instanceId: 'i-case',
    });
  });
});

describe('aws', () => {
  it('round-trips, accepting line-wrapped base64', () => {
    const b = signAwsIdentity('i-0abc', id.aws, { nowMs: NOW, region: 'eu-west-1' });
    expect(b.signature).toContain('\n');
    expect(JSON.parse(b.document)).toMatchObject({ instanceId: 'i-0abc', region: 'eu-west-1' });
    expect(exchangeInstanceIdentity('aws', b, trust, NOW)).toEqual({ ok: true, instanceId: 'i-0abc' });
    const crlf = { ...b, signature: b.signature.replace(/\n/g, '\r\n') };
    expect(exchangeInstanceIdentity('aws', crlf, trust, NOW)).toEqual({ ok: true, instanceId: 'i-0abc' });
  });

  it.each([
    [
      'tampered document',
      (b: { document: string; signature: string }) => ({ ...b, document: b.document.replace('i-0abc', 'i-0abd') }),
      'crypto/rsa: verification error',
    ],
    ['whitespace change', (b: { document: string; signature: string }) => ({ ...b, document: `${b.document} ` }), 'crypto/rsa: verification error'],
    [
      'tampered signature',
      (b: { document: string; signature: string }) => ({ ...b, signature: `A${b.signature.slice(1)}`.replace(/^AA/, 'BA') }),
      'crypto/rsa: verification error',
    ],
    [
      'document not JSON',
      (b: { document: string; signature: string }) => ({ ...b, document: 'nope' }),
      "parse document: invalid character 'o' in literal null (expecting 'u')",
    ],
    [
      'truncated document',
      (b: { document: string; signature: string }) => ({ ...b, document: '{"instanceId":' }),
      'parse document: unexpected end of JSON input',
    ],
    [
      'wrong field type',
      (b: { document: string; signature: string }) => ({ ...b, document: '{"instanceId":7}' }),
      'parse document: json: cannot unmarshal number into Go struct field EC2InstanceIdentityDocument.instanceId of type string',
    ],
    ['bad base64', (b: { document: string; signature: string }) => ({ ...b, signature: 'ab$d' }), 'decode signature: illegal base64 data at input byte 2'],
    [
      'missing padding',
      (b: { document: string; signature: string }) => ({ ...b, signature: 'abcdab' }),
      'decode signature: illegal base64 data at input byte 4',
    ],
  ])('%s → 401', (_name, mutate, detail) => {
    const b = mutate(signAwsIdentity('i-0abc', id.aws, { nowMs: NOW }));
    expect(exchangeInstanceIdentity('aws', b, trust, NOW)).toEqual({
      ok: false,
      status: 401,
      body: { message: 'Invalid AWS identity.', detail },
    });
  });

  it('rejects a document signed by another key', () => {
    const b = signAwsIdentity('i-0abc', identityForCredentials(other).aws, { nowMs: NOW });
    expect(exchangeInstanceIdentity('aws', b, trust, NOW)).toMatchObject({ status: 401, body: { detail: 'crypto/rsa: verification error' } });
  });
});

describe('azure', () => {
  const azure401 = (body: unknown) => exchangeInstanceIdentity('azure', body, trust, NOW);

  it('round-trips', () => {
    const b = signAzureIdentity('5c2d6bd0-vm', id.azure, { nowMs: NOW });
    expect(b.encoding).toBe('pkcs7');
    expect(azure401(b)).toEqual({ ok: true, instanceId: '5c2d6bd0-vm' });
  });

  function signerWith(cn: string, issuer: 'root' | 'self'): IdentityMaterial['azure'] {
    const key = deterministicRsaKeyPem('azure-odd', cn, 1024);
    const rootSubject = [
      { shortName: 'C', value: 'US' },
      { shortName: 'O', value: 'fleetsim' },
      { shortName: 'CN', value: 'fleetsim Test Azure Root CA' },
    ];
    const cert = issueCertificate({
      seed: 'azure-odd',
      label: cn + issuer,
      subject: [{ shortName: 'CN', value: cn }],
      issuer: issuer === 'root' ? rootSubject : [{ shortName: 'CN', value: cn }],
      subjectKeyPem: key,
      issuerKeyPem: issuer === 'root' ? trust.azure.rootPrivateKeyPem : key,
      extensions: [],
    });
    return { privateKeyPem: key, certificatePem: cert, caCertificatePem: trust.azure.rootCertificatePem };
  }

  it('rejects a signer with the wrong CN', () => {
    const b = signAzureIdentity('vm', signerWith('evil.example.com', 'root'), { nowMs: NOW });
    expect(azure401(b)).toEqual({
      ok: false,
      status: 401,
      body: { message: 'Invalid Azure identity.', detail: 'unmatched common name of signer: "evil.example.com"' },
    });
    // Subdomains of the allowed names pass the CN check (and then verify).
    expect(azure401(signAzureIdentity('vm2', signerWith('eastus.metadata.azure.com', 'root'), { nowMs: NOW }))).toEqual({
      ok: true,
      instanceId: 'vm2',
    });
  });

  it('rejects a cert not chained to the root', () => {
    expect(azure401(signAzureIdentity('vm', signerWith('metadata.azure.com', 'self'), { nowMs: NOW }))).toMatchObject({
      status: 401,
      body: { detail: 'verify certificates: x509: certificate signed by unknown authority' },
    });
    // Same issuer name, other root key: Go's hint about the candidate authority.
    const foreign = identityForCredentials(other).azure;
    expect(azure401(signAzureIdentity('vm', foreign, { nowMs: NOW }))).toMatchObject({
      status: 401,
      body: {
        detail:
          'verify certificates: x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "fleetsim Test Azure Root CA")',
      },
    });
  });

  it('rejects an expired signer', () => {
    const later = Date.UTC(2050, 0, 1);
    const b = signAzureIdentity('vm', id.azure, { nowMs: NOW });
    expect(exchangeInstanceIdentity('azure', b, trust, later)).toMatchObject({
      status: 401,
      body: {
        detail: 'verify certificates: x509: certificate has expired or is not yet valid: current time 2050-01-01T00:00:00Z is after 2049-12-31T23:59:59Z',
      },
    });
  });

  it('rejects tampered content and a tampered signature', () => {
    const b = signAzureIdentity('vm-aaaa', id.azure, { nowMs: NOW });
    const der = Buffer.from(b.signature, 'base64');
    const at = der.indexOf('vm-aaaa');
    const content = Buffer.from(der);
    content.write('vm-bbbb', at);
    expect(azure401({ ...b, signature: content.toString('base64') })).toMatchObject({
      status: 401,
      body: { detail: 'verify signature: pkcs7: message digest mismatch' },
    });
    const sig = Buffer.from(der);
    sig[sig.length - 10] = (sig[sig.length - 10] ?? 0) ^ 0xff; // inside the encrypted digest
    expect(azure401({ ...b, signature: sig.toString('base64') })).toMatchObject({
      status: 401,
      body: { detail: 'verify signature: crypto/rsa: verification error' },
    });
  });

  it('reports decode and parse failures', () => {
    expect(azure401({ signature: '%%%', encoding: 'pkcs7' })).toMatchObject({
      status: 401,
      body: { detail: 'decode base64: illegal base64 data at input byte 0' },
    });
    expect(azure401({ signature: Buffer.from('hello').toString('base64'), encoding: 'x' })).toMatchObject({
      status: 401,
      body: { message: 'Invalid Azure identity.', detail: expect.stringMatching(/^parse pkcs7: /) },
    });
  });
});

describe('google', () => {
  const google = (token: string, now = NOW) => exchangeInstanceIdentity('google', { json_web_token: token }, trust, now);

  function jwt(header: object, payload: object, keyPem = trust.google.privateKeyPem): string {
    const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc(header)}.${enc(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), keyPem).toString('base64url')}`;
  }
  const exp = Math.floor(NOW / 1000) + 60;

  it('round-trips', () => {
    const t = signGoogleIdentity('4815162342', id.google, { nowMs: NOW });
    const payload = JSON.parse(Buffer.from(t.json_web_token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ iss: 'https://accounts.google.com', aud: 'coder', google: { compute_engine: { instance_id: '4815162342' } } });
    expect(google(t.json_web_token)).toEqual({ ok: true, instanceId: '4815162342' });
  });

  it('rejects an expired token', () => {
    const t = signGoogleIdentity('1', id.google, { nowMs: NOW - 7200_000, ttlSeconds: 3600 });
    const exp = Math.floor((NOW - 7200_000) / 1000) + 3600;
    expect(google(t.json_web_token)).toEqual({
      ok: false,
      status: 401,
      body: { message: 'Invalid GCP identity.', detail: `idtoken: token expired: now=${NOW / 1000}, expires=${exp}` },
    });
  });

  it('rejects a wrong kid and a wrong key', () => {
    const wrongKid = jwt({ alg: 'RS256', kid: 'nope' }, { exp, google: { compute_engine: { instance_id: '1' } } });
    expect(google(wrongKid)).toMatchObject({
      status: 401,
      body: { detail: 'idtoken: could not find matching cert keyId for the token provided' },
    });
    const wrongKey = signGoogleIdentity('1', { ...identityForCredentials(other).google, kid: trust.google.kid }, { nowMs: NOW });
    expect(google(wrongKey.json_web_token)).toMatchObject({ status: 401, body: { detail: 'crypto/rsa: verification error' } });
  });

  it('rejects malformed tokens', () => {
    expect(google('a.b')).toMatchObject({ status: 401, body: { detail: 'idtoken: invalid token, token must have three segments; found 2' } });
    expect(google(jwt({ alg: 'HS256', kid: trust.google.kid }, { exp }))).toMatchObject({
      status: 401,
      body: { detail: 'idtoken: expected JWT signed with RS256 or ES256 but found "HS256"' },
    });
  });

  it('answers 400 for a non-string instance_id and "" for missing claims', () => {
    const kid = trust.google.kid;
    expect(google(jwt({ alg: 'RS256', kid }, { exp, google: { compute_engine: { instance_id: 5 } } }))).toEqual({
      ok: false,
      status: 400,
      body: {
        message: 'Error decoding JWT claims.',
        detail: "1 error(s) decoding:\n\n* 'google.compute_engine.instance_id' expected type 'string', got unconvertible type 'float64', value: '5'",
      },
    });
    expect(google(jwt({ alg: 'RS256', kid }, { exp }))).toEqual({ ok: true, instanceId: '' });
  });
});
