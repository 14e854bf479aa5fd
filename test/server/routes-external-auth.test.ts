import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { call, ME } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';
import { eventually } from '../helpers/eventually.js';

let server: ReferenceServer;
let token: string;

beforeAll(async () => {
  server = await startReferenceServer({ agents: 1 });
  token = server.credentials.agents[0]!.token;
});
afterAll(() => server.close());

const externalAuth = (query: string, init: RequestInit = {}) => call(server, `${ME}/external-auth${query}`, { token, ...init });

describe('GET /me/external-auth (§5.5a)', () => {
  it('400 without match/url/id or with both, 404 with coderd detail when nothing matches', async () => {
    for (const q of ['', '?match=', '?url=&id=']) {
      const r = await externalAuth(q);
      expect(r.status).toBe(400);
      expect(r.text).toBe(`{"message":"'url' or 'id' must be provided!"}\n`);
    }
    const both = await externalAuth('?match=https://github.com/a&id=github');
    expect(both.status).toBe(400);
    expect(JSON.parse(both.text)).toEqual({ message: "'url' and 'id' cannot be provided together!" });
    const none = await externalAuth('?match=https%3A%2F%2Fgitlab.com%2Fa');
    expect(none.status).toBe(404);
    expect(JSON.parse(none.text)).toEqual({
      message: 'No matching external auth provider found in Coder for the url "https://gitlab.com/a".',
      detail:
        'The configured external auth provider have regex filters that do not match the url. Provider url regex: github="^(https?://)?github\\\\.com(/.*)?$"',
    });
  });

  it('answers a URL only without a link (by match, legacy url or id), then credentials once linked', async () => {
    const urlOnly = `{"access_token":"","token_extra":null,"url":"${server.url}/external-auth/github","type":"","username":"","password":""}\n`;
    for (const q of ['?match=https://github.com/coder/coder', '?url=https://github.com/x', '?id=github']) {
      const r = await externalAuth(q);
      expect(r.status).toBe(200);
      expect(r.text).toBe(urlOnly);
    }
    server.gitAuth.link({ token: 'gho_secret' });
    const linked = await externalAuth('?match=https://github.com/coder/coder&listen');
    expect(linked.text).toBe('{"access_token":"gho_secret","token_extra":null,"url":"","type":"github","username":"gho_secret","password":""}\n');
    server.gitAuth.unlink();
  });

  it('holds a listen poll until a link, and an expired link waits for a different one', async () => {
    const pending = externalAuth('?match=github.com&listen');
    await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
    server.gitAuth.link({ token: 'first' });
    expect(JSON.parse((await pending).text).access_token).toBe('first');

    const expiredAt = Date.now() - 1000;
    server.gitAuth.link({ token: 'old', expiresAtMs: expiredAt });
    expect(JSON.parse((await externalAuth('?match=github.com')).text).url).toBe(`${server.url}/external-auth/github`);
    const again = externalAuth('?match=github.com&listen');
    await eventually(() => server.gitAuth.listening() === 1, 'the second poll to wait');
    // The same expired link again does not answer it (nor would the same one unexpired: coderd
    // only re-validates a token that changed).
    server.gitAuth.link({ token: 'old', expiresAtMs: expiredAt });
    expect(server.gitAuth.listening()).toBe(1);
    server.gitAuth.link({ token: 'new' });
    expect(JSON.parse((await again).text)).toMatchObject({ access_token: 'new', username: 'new', type: 'github' });
    server.gitAuth.unlink();
  });
});

describe('server option gitAuth: the simulated owner signs in', () => {
  it('answers waiting polls answerAfterMs after the first one waits, with a link lasting linkTtlMs', async () => {
    const auto = await startReferenceServer({ agents: 1, gitAuth: { answerAfterMs: 20, linkTtlMs: 3_600_000 } });
    try {
      const agentToken = auto.credentials.agents[0]!.token;
      const polls = [
        call(auto, `${ME}/gitauth?url=https://github.com/a&listen`, { token: agentToken }),
        call(auto, `${ME}/external-auth?match=https://github.com/a&listen`, { token: agentToken }),
      ];
      const [v1, v2] = await Promise.all(polls);
      expect(v1!.status).toBe(200);
      expect(JSON.parse(v1!.text).username).toMatch(/^gho_fleetsimAuto/);
      expect(JSON.parse(v2!.text).access_token).toBe(JSON.parse(v1!.text).username);
      // Linked now: a plain lookup gets the credentials at once.
      const direct = await call(auto, `${ME}/gitauth?url=https://github.com/a`, { token: agentToken });
      expect(JSON.parse(direct.text).url).toBe('');
      expect(auto.gitAuth.listening()).toBe(0);
    } finally {
      await auto.close();
    }
  });
});
