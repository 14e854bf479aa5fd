import { goQuote } from '../../protocol/go-json.js';
import { GIT_AUTH_PROVIDERS, type GitAuthProvider } from '../fixtures.js';
import type { GitAuthLink } from '../git-auth-links.js';
import type { Exchange } from '../http/reply.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';

/** GET /me/gitauth (protocol §5.5), including the `listen` long poll. */
export function gitAuth(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  const params = new URLSearchParams(ex.query);
  const url = params.get('url') ?? '';
  if (url === '') return s.responder.error(ex, 400, "Missing 'url' query parameter!");
  let provider: GitAuthProvider | undefined;
  // Every provider is tried and the last match wins (coderd has no break).
  for (const p of GIT_AUTH_PROVIDERS) if (p.regex.test(url)) provider = p;
  if (!provider) return s.responder.error(ex, 404, `No git provider found for URL ${goQuote(url)}`);
  const chosen = provider;
  const answer = (link: GitAuthLink): void => {
    s.store.count(agent).gitauthGets++;
    s.totals.gitauthGets++;
    s.responder.json(ex, 200, s.responder.encode(credentialsFor(chosen, link.token)));
  };
  // `listen` is on when the key is present at all (`?listen=false` listens too).
  if (params.has('listen')) {
    const link = s.gitAuth.get(chosen.id);
    if (link && link.expiresAt > s.wallNow()) return answer(link);
    if (!ex.res) return;
    s.gitAuth.wait(chosen.id, ex.res, answer);
    return;
  }
  const link = s.gitAuth.get(chosen.id);
  if (!link || link.expiresAt <= s.wallNow()) {
    s.store.count(agent).gitauthGets++;
    s.totals.gitauthGets++;
    return s.responder.json(ex, 200, s.responder.encode({ username: '', password: '', url: `${s.accessUrl.origin}/gitauth/${chosen.id}` }));
  }
  answer(link);
}

/** Username and password by provider type (protocol §5.5). */
export function credentialsFor(provider: GitAuthProvider, token: string): { username: string; password: string; url: string } {
  switch (provider.type) {
    case 'gitlab':
      return { username: 'oauth2', password: token, url: '' };
    case 'bitbucket':
      return { username: 'x-token-auth', password: token, url: '' };
    default:
      return { username: token, password: '', url: '' };
  }
}
