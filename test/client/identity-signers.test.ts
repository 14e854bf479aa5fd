import { verify, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAwsIdentity } from '../../src/client/identity/aws.js';
import { signAzureIdentity } from '../../src/client/identity/azure.js';
import { signGoogleIdentity } from '../../src/client/identity/google.js';
import type { IdentityMaterial } from '../../src/protocol/credentials.js';
import { generateTrustMaterial, identityForCredentials } from '../../src/server/identity/trust-material.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
let id: IdentityMaterial;

beforeAll(async () => {
  id = identityForCredentials(await generateTrustMaterial('signer-test'));
});

describe('signAwsIdentity', () => {
  it('writes an IMDS-like document and a wrapped RSA-SHA256 signature', () => {
    const b = signAwsIdentity('i-0123456789abcdef0', id.aws, { nowMs: NOW, region: 'us-west-2' });
    const doc = JSON.parse(b.document);
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining([
        'accountId',
        'architecture',
        'availabilityZone',
        'imageId',
        'instanceId',
        'instanceType',
        'pendingTime',
        'privateIp',
        'region',
        'version',
      ]),
    );
    expect(doc).toMatchObject({ instanceId: 'i-0123456789abcdef0', region: 'us-west-2', version: '2017-09-30' });
    expect(doc.availabilityZone).toMatch(/^us-west-2[abc]$/);
    expect(b.document).toContain('"instanceId" : "i-0123456789abcdef0"');
    for (const line of b.signature.split('\n')) expect(line.length).toBeLessThanOrEqual(64);
    const cert = new X509Certificate(id.aws.certificatePem);
    expect(verify('sha256', Buffer.from(b.document), cert.publicKey, Buffer.from(b.signature, 'base64'))).toBe(true);
    expect(signAwsIdentity('i-0123456789abcdef0', id.aws, { nowMs: NOW, region: 'us-west-2' })).toEqual(b);
  });
});

describe('signAzureIdentity', () => {
  it('produces PKCS7 signedData that a third-party parser reads', () => {
    const b = signAzureIdentity('13f56399-bd52-4150-9748-7190aae1ff21', id.azure, { nowMs: NOW });
    const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.decode64(b.signature))) as unknown as forge.pkcs7.PkcsSignedData & {
      rawCapture: { content: forge.asn1.Asn1 };
    };
    expect(p7.certificates).toHaveLength(1);
    expect(p7.certificates[0]?.subject.getField('CN').value).toBe('metadata.azure.com');
    // forge leaves `content` empty for parsed signedData; the captured [0] holds the OCTET STRING.
    const octets = (p7.rawCapture.content.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1;
    const content = JSON.parse(forge.util.decodeUtf8(octets.value as string));
    expect(Object.keys(content)).toEqual(['nonce', 'plan', 'timeStamp', 'vmId', 'licenseType', 'subscriptionId', 'sku']);
    expect(content.vmId).toBe('13f56399-bd52-4150-9748-7190aae1ff21');
    expect(content.timeStamp).toEqual({ createdOn: '11/29/26 12:00:00 -0000', expiresOn: '11/29/26 18:00:00 -0000' });
  });
});

describe('signGoogleIdentity', () => {
  it('signs a GCE-style RS256 token', () => {
    const t = signGoogleIdentity('8830162342', id.google, { nowMs: NOW, ttlSeconds: 600 });
    const [h, p, s] = t.json_web_token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', kid: id.google.kid, typ: 'JWT' });
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(payload).toMatchObject({ iss: 'https://accounts.google.com', aud: 'coder', iat: NOW / 1000, exp: NOW / 1000 + 600 });
    expect(payload.azp).toBe(payload.sub);
    expect(Object.keys(payload.google.compute_engine)).toEqual(
      expect.arrayContaining(['instance_id', 'instance_name', 'project_id', 'project_number', 'zone']),
    );
    expect(verify('sha256', Buffer.from(`${h}.${p}`), id.google.privateKeyPem, Buffer.from(s, 'base64url'))).toBe(true);
  });
});
