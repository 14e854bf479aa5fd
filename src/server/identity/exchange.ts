import { coderResponse, type CoderResponse } from '../../protocol/codersdk-response.js';
import { decodeGoStruct, type GoField } from './go-decode.js';
import type { TrustMaterial } from './trust-material.js';
import { validateAws } from './verify-aws.js';
import { validateAzure } from './verify-azure.js';
import { validateGoogle } from './verify-google.js';

export type IdentityProvider = 'aws' | 'azure' | 'google';

export type ExchangeResult = { ok: true; instanceId: string } | { ok: false; status: number; body: CoderResponse };

/** The request structs of agentsdk, in field order (validation errors follow it). */
const BODIES: Record<IdentityProvider, { struct: string; fields: GoField[] }> = {
  aws: {
    struct: 'agentsdk.AWSInstanceIdentityToken',
    fields: [
      { name: 'signature', type: 'string' },
      { name: 'document', type: 'string' },
    ],
  },
  azure: {
    struct: 'agentsdk.AzureInstanceIdentityToken',
    fields: [
      { name: 'signature', type: 'string' },
      { name: 'encoding', type: 'string' },
    ],
  },
  google: { struct: 'agentsdk.GoogleInstanceIdentityToken', fields: [{ name: 'json_web_token', type: 'string' }] },
};

const MESSAGES: Record<IdentityProvider, string> = {
  aws: 'Invalid AWS identity.',
  azure: 'Invalid Azure identity.',
  google: 'Invalid GCP identity.',
};

/**
 * Validates one instance-identity exchange body (protocol §1.3, §5.1) up to the instance id.
 * `body` is the JSON.parse result of the request; the caller answers invalid JSON text and empty
 * bodies itself, then does the shared lookup (404 for an unknown instance) with `instanceId`.
 * Synchronous and ~0.1-0.3 ms (one RSA-2048 verification; two for Azure).
 */
export function exchangeInstanceIdentity(provider: IdentityProvider, body: unknown, trust: TrustMaterial, nowMs: number): ExchangeResult {
  const spec = BODIES[provider];
  const decoded = decodeGoStruct(body, spec.struct, spec.fields);
  if (!decoded.ok) return { ok: false, status: 400, body: coderResponse('Request body must be valid JSON.', decoded.error) };
  const values = decoded.values;
  const missing = spec.fields.filter((f) => typeof values[f.name] !== 'string' || values[f.name] === '');
  if (missing.length > 0) {
    return {
      ok: false,
      status: 400,
      body: coderResponse(
        'Validation failed.',
        undefined,
        missing.map((f) => ({ field: f.name, detail: 'Validation failed for tag "required" with value: ""' })),
      ),
    };
  }
  const str = (name: string): string => values[name] as string;
  const unauthorized = (detail: string): ExchangeResult => ({
    ok: false,
    status: 401,
    body: coderResponse(MESSAGES[provider], detail),
  });

  switch (provider) {
    case 'aws': {
      const r = validateAws(str('signature'), str('document'), [trust.aws.certificatePem]);
      return r.ok ? r : unauthorized(r.detail);
    }
    case 'azure': {
      const r = validateAzure(str('signature'), trust.azure.rootCertificatePem, nowMs);
      return r.ok ? { ok: true, instanceId: r.vmId } : unauthorized(r.detail);
    }
    case 'google': {
      const r = validateGoogle(str('json_web_token'), [trust.google], nowMs);
      if (r.ok) return r;
      if (r.status === 400) return { ok: false, status: 400, body: coderResponse('Error decoding JWT claims.', r.detail) };
      return unauthorized(r.detail);
    }
  }
}
