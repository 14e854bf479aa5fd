import { verify } from 'node:crypto';
import { certificateFor } from './key-cache.js';
import { decodeGoStruct, goBase64Decode, goJsonParse } from './go-decode.js';

/** ec2metadata.EC2InstanceIdentityDocument, the struct coderd unmarshals the document into. */
const DOCUMENT_FIELDS = [
  { name: 'devpayProductCodes', type: 'string[]' },
  { name: 'marketplaceProductCodes', type: 'string[]' },
  { name: 'availabilityZone', type: 'string' },
  { name: 'privateIp', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'region', type: 'string' },
  { name: 'instanceId', type: 'string' },
  { name: 'billingProducts', type: 'string[]' },
  { name: 'instanceType', type: 'string' },
  { name: 'accountId', type: 'string' },
  { name: 'pendingTime', type: 'time' },
  { name: 'imageId', type: 'string' },
  { name: 'kernelId', type: 'string' },
  { name: 'ramdiskId', type: 'string' },
  { name: 'architecture', type: 'string' },
] as const;

/**
 * coderd's awsidentity.Validate (protocol §5.1): parse the document, decode the signature, verify
 * RSA PKCS#1 v1.5 over SHA-256 of the exact document bytes. Returns the instance id or the
 * error text coderd puts in `detail`.
 */
export function validateAws(
  signature: string,
  document: string,
  certificatePems: readonly string[],
): { ok: true; instanceId: string } | { ok: false; detail: string } {
  const docBytes = Buffer.from(document, 'utf8');
  const parsed = goJsonParse(docBytes);
  if (!parsed.ok) return { ok: false, detail: `parse document: ${parsed.error}` };
  const doc = decodeGoStruct(parsed.value, 'ec2metadata.EC2InstanceIdentityDocument', DOCUMENT_FIELDS);
  if (!doc.ok) return { ok: false, detail: `parse document: ${doc.error}` };
  const sig = goBase64Decode(signature);
  if (!sig.ok) return { ok: false, detail: `decode signature: ${sig.error}` };
  for (const pem of certificatePems) {
    let good = false;
    try {
      good = verify('sha256', docBytes, certificateFor(pem).publicKey, sig.bytes);
    } catch {
      good = false; // a malformed signature length is a verification failure, as in Go
    }
    if (good) return { ok: true, instanceId: typeof doc.values.instanceId === 'string' ? doc.values.instanceId : '' };
  }
  return { ok: false, detail: 'crypto/rsa: verification error' };
}
