import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { AGENTS, call, ME } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';

let server: ReferenceServer;
let token: string;
let userToken: string;
let agentId: string;

beforeAll(async () => {
  server = await startReferenceServer({ buildVersion: 'v9.9.9-test' });
  token = server.credentials.agents[0]!.token;
  userToken = server.credentials.userToken;
  agentId = server.credentials.agents[0]!.id;
});
afterAll(() => server.close());

const metadata = (init: Parameters<typeof call>[2] = {}, query = '') => call(server, `${ME}/metadata${query}`, init);
const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';

describe('common response conventions (§1)', () => {
  it('sets the build version and JSON content type, and answers unknown routes with Route not found', async () => {
    for (const path of ['/api/v2/nope', `${ME}/startup`, `${ME}`, `${AGENTS}/${agentId}/nope`, '/api/v2/workspaceagents/']) {
      const r = await call(server, path, { token });
      expect(r.status, path).toBe(404);
      expect(r.text).toBe('{"message":"Route not found."}\n');
      expect(r.headers.get('x-coder-build-version')).toBe('v9.9.9-test');
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });

  it('answers a wrong method on a known path with an empty 405', async () => {
    const r = await call(server, `${ME}/metadata`, { method: 'POST', token, body: '{}' });
    expect(r.status).toBe(405);
    expect(r.text).toBe('');
    const g = await call(server, `${ME}/report-stats`, { token });
    expect(g.status).toBe(405);
  });
});

describe('agent token (§2.1, §2.2)', () => {
  it('401 without a token', async () => {
    const r = await metadata();
    expect(r.status).toBe(401);
    expect(r.text).toBe('{"message":"Cookie \\"coder_session_token\\" must be provided."}\n');
  });

  it('401 for a token that is not a UUID, with its length', async () => {
    const r = await metadata({ token: 'abc' });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual({ message: 'Workspace agent token invalid.', detail: 'An agent token must be a valid UUIDv4. (len 3)' });
  });

  it('401 for an unknown UUID', async () => {
    const r = await metadata({ token: '00000000-0000-4000-8000-000000000000' });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual({
      message: 'Workspace agent not authorized.',
      detail: 'The agent cannot authenticate until the workspace provision job has been completed. If the job is no longer running, this agent is invalid.',
    });
  });

  it('reads the cookie, the query parameter, the header and the dev-URL cookie; the cookie wins', async () => {
    expect((await metadata({ headers: { Cookie: `coder_session_token=${token}` } })).status).toBe(200);
    expect((await metadata({}, `?coder_session_token=${token}`)).status).toBe(200);
    expect((await metadata({ token })).status).toBe(200);
    expect((await metadata({ headers: { Cookie: `other=1; coder_devurl_session_token=${token}` } })).status).toBe(200);
    expect((await metadata({ token: 'bad', headers: { Cookie: `coder_session_token=${token}` } })).status).toBe(200);
    const cookieBad = await metadata({ token, headers: { Cookie: 'coder_session_token=bad' } });
    expect(cookieBad.status).toBe(401);
    expect(JSON.parse(cookieBad.text).detail).toBe('An agent token must be a valid UUIDv4. (len 3)');
  });

  it('accepts the other uuid.Parse forms of a token', async () => {
    for (const form of [token.replaceAll('-', ''), `{${token}}`, `urn:uuid:${token}`, token.toUpperCase()]) {
      expect((await metadata({ token: form })).status, form).toBe(200);
    }
  });
});

describe('user API key (§2.3) and path parameter (§2.4)', () => {
  const agent = (t: string | undefined, id = agentId) => call(server, `${AGENTS}/${id}`, { token: t });
  const detail = async (t: string | undefined) => {
    const r = await agent(t);
    expect(r.status).toBe(401);
    const body = JSON.parse(r.text);
    expect(body.message).toBe(SIGNED_OUT);
    return body.detail;
  };

  it('gives every 401 detail', async () => {
    expect(await detail(undefined)).toBe('Cookie "coder_session_token" or query parameter must be provided.');
    expect(await detail('a-b-c')).toBe('Invalid API key format: incorrect amount of API key parts, expected 2 got 3');
    expect(await detail('nodash')).toBe('Invalid API key format: incorrect amount of API key parts, expected 2 got 1');
    expect(await detail('short-0123456789012345678901')).toBe('Invalid API key format: invalid API key ID length, expected 10 got 5');
    expect(await detail('0123456789-short')).toBe('Invalid API key format: invalid API key secret length, expected 22 got 5');
    expect(await detail('0123456789-0123456789012345678901')).toBe('API key is invalid.');
    const [id] = userToken.split('-');
    expect(await detail(`${id}-0123456789012345678901`)).toBe('API key secret is invalid.');
  });

  it('accepts the key from the cookie and the query parameter', async () => {
    expect((await call(server, `${AGENTS}/${agentId}`, { headers: { Cookie: `coder_session_token=${userToken}` } })).status).toBe(200);
    expect((await call(server, `${AGENTS}/${agentId}?coder_session_token=${userToken}`)).status).toBe(200);
  });

  it('400 for a path parameter that is not a UUID, with uuid.Parse text', async () => {
    const r = await agent(userToken, 'abc');
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"message":"Invalid UUID \\"workspaceagent\\".","detail":"invalid UUID length: 3"}\n');
    const format = await agent(userToken, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz');
    expect(JSON.parse(format.text).detail).toBe('invalid UUID format');
    const urn = await agent(userToken, `xxx:uuid:${agentId}`);
    expect(JSON.parse(urn.text).detail).toBe('invalid urn prefix: "xxx:uuid:"');
  });

  it('checks the key before the path parameter', async () => {
    expect((await agent(undefined, 'abc')).status).toBe(401);
  });

  it('404 for an unknown agent id, and Go uuid forms for a known one', async () => {
    const r = await agent(userToken, '00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
    expect(r.text).toBe('{"message":"Agent doesn\'t exist with that id."}\n');
    for (const form of [agentId.replaceAll('-', ''), `{${agentId}}`, `urn:uuid:${agentId}`, agentId.toUpperCase()]) {
      const ok = await agent(userToken, form);
      expect(ok.status, form).toBe(200);
      expect(JSON.parse(ok.text).id).toBe(agentId);
    }
  });
});
