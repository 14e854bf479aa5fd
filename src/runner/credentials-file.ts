import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FleetsimError } from '../core/errors.js';
import { jsonSyntaxErrorPosition } from '../core/json-position.js';
import type { Credentials } from '../protocol/credentials.js';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a UUID');

const credentialsSchema = z.strictObject({
  url: z.string().url(),
  userToken: z.string().regex(/^[^-]{10}-[^-]{22}$/, 'expected "<10-char id>-<22-char secret>"'),
  agents: z.array(
    z.object({
      id: uuid,
      name: z.string(),
      workspaceName: z.string(),
      token: uuid,
      instanceId: z.string(),
      apps: z.array(z.object({ id: uuid, slug: z.string(), healthcheck: z.boolean() })).default([]),
    }),
  ),
  identity: z
    .object({
      aws: z.object({ privateKeyPem: z.string(), certificatePem: z.string() }),
      azure: z.object({ privateKeyPem: z.string(), certificatePem: z.string(), caCertificatePem: z.string() }),
      google: z.object({ privateKeyPem: z.string(), kid: z.string() }),
    })
    .optional(),
});

/**
 * Reads and validates a credentials file (the format `fleetsim serve --credentials` writes).
 * Problems are listed with their JSON paths; secret values are never echoed.
 */
export async function loadCredentialsFile(path: string): Promise<Credentials> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FleetsimError('usage', `cannot read credentials file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // Never JSON.parse's message: it quotes the text around the error, which can be a token.
    const at = jsonSyntaxErrorPosition(text.replace(/^\uFEFF/, ''));
    const where = at ? `line ${at.line}, column ${at.column}` : 'an unknown position';
    throw new FleetsimError('usage', `credentials file ${path} is not valid JSON: syntax error at ${where}`, {
      hint: 'the file holds secrets, so its text is not shown; open it at that position',
    });
  }
  return parseCredentials(json, path);
}

export function parseCredentials(json: unknown, source: string): Credentials {
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new FleetsimError('usage', `credentials file ${source} is invalid`, { issues });
  }
  return parsed.data;
}

/** Every secret in a credentials object, for log redaction. */
export function credentialSecrets(credentials: Credentials): string[] {
  const secrets = [credentials.userToken, ...credentials.agents.map((a) => a.token)];
  const identity = credentials.identity;
  if (identity) secrets.push(identity.aws.privateKeyPem, identity.azure.privateKeyPem, identity.google.privateKeyPem);
  return secrets;
}
