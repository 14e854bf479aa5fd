import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAwsIdentity } from '../../src/client/identity/aws.js';
import { signAzureIdentity } from '../../src/client/identity/azure.js';
import { signGoogleIdentity } from '../../src/client/identity/google.js';
import type { IdentityMaterial } from '../../src/protocol/credentials.js';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { AGENTS, call, ME, post } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';

let server: ReferenceServer;
let identity: IdentityMaterial;

beforeAll(async () => {
  server = await startReferenceServer({ agents: 2, identity: true, seed: 'identity-routes' });
  identity = server.credentials.identity!;
}, 60_000);
afterAll(() => server.close());

const route = (p: string) => `${AGENTS}/${p}-instance-identity`;

describe('instance identity routes (§2.5, §5.1)', () => {
  it('exchange signed identities for the agent token without authentication', async () => {
    const a = server.credentials.agents[1]!;
    const bodies = {
      aws: signAwsIdentity(a.instanceId, identity.aws),
      azure: signAzureIdentity(a.instanceId, identity.azure),
      google: signGoogleIdentity(a.instanceId, identity.google),
    };
    for (const [provider, body] of Object.entries(bodies)) {
      const r = await post(server, route(provider), undefined, JSON.stringify(body));
      expect(r.status, provider).toBe(200);
      expect(r.text).toBe(`{"session_token":"${a.token}"}\n`);
    }
    // The token works on the agent routes.
    expect((await call(server, `${ME}/metadata`, { token: a.token })).status).toBe(200);
    expect(server.counters().totals.identityExchanges).toEqual({ aws: 1, azure: 1, google: 1 });
  });

  it('404 for a validly signed but unknown instance id', async () => {
    const r = await post(server, route('aws'), undefined, JSON.stringify(signAwsIdentity('i-0000000000000dead', identity.aws)));
    expect(r.status).toBe(404);
    expect(r.text).toBe('{"message":"Instance with id \\"i-0000000000000dead\\" not found."}\n');
  });

  it('400 for bad JSON and missing fields, 401 for a bad signature', async () => {
    const empty = await post(server, route('google'), undefined, '');
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.text)).toEqual({ message: 'Request body must be valid JSON.', detail: 'EOF' });
    const missing = await post(server, route('google'), undefined, '{}');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).message).toBe('Validation failed.');
    const body = signAwsIdentity(server.credentials.agents[0]!.instanceId, identity.aws);
    const tampered = await post(server, route('aws'), undefined, JSON.stringify({ ...body, document: body.document.replace('t3.medium', 't3.large') }));
    expect(tampered.status).toBe(401);
    expect(JSON.parse(tampered.text).message).toBe('Invalid AWS identity.');
  });
});
