import { createHash, sign } from 'node:crypto';
import type { IdentityMaterial } from '../../protocol/credentials.js';
import { privateKeyFor } from './key-cache.js';

/** The body of `POST /workspaceagents/aws-instance-identity` (protocol §5.1). */
export interface AwsIdentityBody {
  /** The identity document text exactly as signed. */
  document: string;
  /** Standard base64 of the RSA-SHA256 signature, wrapped every 64 characters like IMDS does. */
  signature: string;
}

/**
 * Signs an EC2-style instance-identity document for `instanceId` with the AWS key of the
 * credentials file. The document's other fields are derived from the instance id, so the same
 * instance always describes itself the same way. ~1-2 ms per call (one RSA-2048 signature).
 */
export function signAwsIdentity(instanceId: string, material: IdentityMaterial['aws'], opts: { region?: string; nowMs?: number } = {}): AwsIdentityBody {
  const region = opts.region ?? 'us-east-1';
  const h = createHash('sha256').update(instanceId).digest();
  const pending = new Date(Math.floor((opts.nowMs ?? Date.now()) / 1000) * 1000 - 3_600_000);
  // Field order, spacing (" : ") and nulls follow what IMDS serves.
  const fields: [string, string | null][] = [
    ['accountId', String(100000000000 + (h.readUInt32BE(0) % 900000000000))],
    ['architecture', 'x86_64'],
    ['availabilityZone', `${region}${'abc'[(h[4] ?? 0) % 3]}`],
    ['billingProducts', null],
    ['devpayProductCodes', null],
    ['marketplaceProductCodes', null],
    ['imageId', `ami-${h.subarray(5, 13).toString('hex').slice(0, 17)}`],
    ['instanceId', instanceId],
    ['instanceType', 't3.medium'],
    ['kernelId', null],
    ['pendingTime', pending.toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ['privateIp', `10.${h[13] ?? 0}.${h[14] ?? 0}.${Math.max(1, h[15] ?? 1)}`],
    ['ramdiskId', null],
    ['region', region],
    ['version', '2017-09-30'],
  ];
  const document = `{\n${fields.map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(',\n')}\n}`;
  const sig = sign('sha256', Buffer.from(document, 'utf8'), privateKeyFor(material.privateKeyPem)).toString('base64');
  return { document, signature: sig.replace(/.{64}(?=.)/g, '$&\n') };
}
