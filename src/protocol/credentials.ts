/**
 * The credentials file: written by `fleetsim serve --credentials FILE` and by the embedded server,
 * and handed to the fleet for any target (for a real Coder, `identity` is absent).
 * It holds secrets: never copy it into a report or a log line.
 */
export interface CredentialApp {
  id: string;
  slug: string;
  healthcheck: boolean;
}

export interface CredentialAgent {
  id: string;
  name: string;
  workspaceName: string;
  /** Agent token (UUID). Secret. */
  token: string;
  /** Instance id accepted by the AWS, Azure and Google identity exchanges. */
  instanceId: string;
  apps: CredentialApp[];
}

export interface IdentityMaterial {
  aws: { privateKeyPem: string; certificatePem: string };
  azure: { privateKeyPem: string; certificatePem: string; caCertificatePem: string };
  google: { privateKeyPem: string; kid: string };
}

export interface Credentials {
  url: string;
  /** User API key `<10-char id>-<22-char secret>`. Secret. */
  userToken: string;
  agents: CredentialAgent[];
  identity?: IdentityMaterial;
}
