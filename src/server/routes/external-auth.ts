import { goQuote } from '../../protocol/go-json.js';
import { GIT_AUTH_PROVIDERS, type GitAuthProvider } from '../fixtures.js';
import type { GitAuthLink } from '../git-auth-links.js';
import type { Exchange } from '../http/reply.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';
import { credentialsFor } from './gitauth.js';

/**
 * GET /me/external-auth?match=…|url=…|id=…[&listen] (protocol §5.5a): what v2-era agents'
 * git credential helper calls. Differences from /me/gitauth: the provider is found by `id` or
 * by `match` (`url` for legacy callers); the answer carries `access_token`, `token_extra` and
 * `type` too; with `listen` a valid stored link answers at once, and an expired one makes the
 * poll wait for a different link (coderd does not re-validate the token it saw).
 */
export function externalAuth(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  const params = new URLSearchParams(ex.query);
  const match = params.get('match') || params.get('url') || '';
  const id = params.get('id') ?? '';
  if (match === '' && id === '') return s.responder.error(ex, 400, "'url' or 'id' must be provided!");
  if (match !== '' && id !== '') return s.responder.error(ex, 400, "'url' and 'id' cannot be provided together!");
  let provider: GitAuthProvider | undefined;
  for (const p of GIT_AUTH_PROVIDERS) {
    if (p.id === id) {
      provider = p;
      break;
    }
    // As in coderd, every provider is tried and the last regex match wins.
    if (match !== '' && p.regex.test(match)) provider = p;
  }
  if (!provider) {
    const regexes = GIT_AUTH_PROVIDERS.map((p) => `${p.id}=${goQuote(goRegexSource(p.regex))}`).join(',');
    const detail =
      GIT_AUTH_PROVIDERS.length > 0
        ? `The configured external auth provider have regex filters that do not match the url. Provider url regex: ${regexes}`
        : 'External auth provider not found.';
    return s.responder.error(ex, 404, `No matching external auth provider found in Coder for the url ${goQuote(match)}.`, detail);
  }
  const chosen = provider;
  const answer = (link: GitAuthLink): void => {
    s.store.count(agent).gitauthGets++;
    s.totals.gitauthGets++;
    s.responder.json(ex, 200, s.responder.encode(externalAuthBody(chosen, link.token, '')));
  };
  const link = s.gitAuth.get(chosen.id);
  if (link && link.expiresAt > s.wallNow()) return answer(link);
  if (params.has('listen')) {
    if (!ex.res) return;
    // An expired link is the "invalid token" coderd remembers: only a different one answers.
    s.gitAuth.wait(chosen.id, ex.res, answer, link);
    return;
  }
  s.store.count(agent).gitauthGets++;
  s.totals.gitauthGets++;
  s.responder.json(ex, 200, s.responder.encode(externalAuthBody(chosen, '', `${s.accessUrl.origin}/external-auth/${chosen.id}`)));
}

/** agentsdk.ExternalAuthResponse, keys in Go's field order; `token_extra` is null (no extra). */
function externalAuthBody(provider: GitAuthProvider, token: string, url: string): Record<string, unknown> {
  const creds = token === '' ? { username: '', password: '' } : credentialsFor(provider, token);
  return {
    access_token: token,
    token_extra: null,
    url,
    type: token === '' ? '' : provider.type,
    username: creds.username,
    password: creds.password,
  };
}

/** The regex as its configuration spelled it (JS source escapes `/`). */
function goRegexSource(regex: RegExp): string {
  return regex.source.replaceAll('\\/', '/');
}
