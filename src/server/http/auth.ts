import { createHash, timingSafeEqual, type BinaryLike } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseGoUuid } from '../go-text.js';
import type { AgentRecord, AgentStore } from '../store.js';

/**
 * Authentication of protocol §2: where the token is read from (§2.1), agent tokens (§2.2) and the
 * user API key (§2.3). Failures are returned as (status, message, detail) for the responder.
 */
export interface AuthFailure {
  status: number;
  message: string;
  detail?: string;
}

function cookieValue(header: string | undefined, name: string): string {
  if (!header) return '';
  let from = 0;
  while (from < header.length) {
    let end = header.indexOf(';', from);
    if (end === -1) end = header.length;
    const part = header.slice(from, end).trim();
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq) === name) {
      let value = part.slice(eq + 1);
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (value !== '') return value;
    }
    from = end + 1;
  }
  return '';
}

function queryValue(query: string, name: string): string {
  if (query === '' || !query.includes(name)) return '';
  return new URLSearchParams(query).get(name) ?? '';
}

/** §2.1: cookie, query parameter, header, dev-URL cookie; the first non-empty value wins. */
export function sessionToken(req: IncomingMessage, query: string): string {
  const cookies = req.headers.cookie;
  return (
    cookieValue(cookies, 'coder_session_token') ||
    queryValue(query, 'coder_session_token') ||
    (req.headers['coder-session-token'] as string | undefined) ||
    cookieValue(cookies, 'coder_devurl_session_token')
  );
}

const byteLength = (s: string): number => Buffer.byteLength(s);

/** §2.2 agent token middleware. */
export function authenticateAgent(token: string, store: AgentStore): AgentRecord | AuthFailure {
  if (token === '') return { status: 401, message: 'Cookie "coder_session_token" must be provided.' };
  const direct = store.byToken.get(token);
  if (direct) return accepted(direct, store);
  const parsed = parseGoUuid(token);
  if (!parsed.ok) {
    return { status: 401, message: 'Workspace agent token invalid.', detail: `An agent token must be a valid UUIDv4. (len ${byteLength(token)})` };
  }
  const agent = store.byToken.get(parsed.uuid);
  if (agent) return accepted(agent, store);
  return NOT_AUTHORIZED;
}

/** coderd's answer to a well-formed token it has no agent for (§2.2). */
const NOT_AUTHORIZED: AuthFailure = {
  status: 401,
  message: 'Workspace agent not authorized.',
  detail: 'The agent cannot authenticate until the workspace provision job has been completed. If the job is no longer running, this agent is invalid.',
};

/** A revoked token (revoke-tokens fault) is answered as coderd answers a token it does not know. */
function accepted(agent: AgentRecord, store: AgentStore): AgentRecord | AuthFailure {
  return store.revoked.size > 0 && store.revoked.has(agent.id) ? NOT_AUTHORIZED : agent;
}

const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';

export function sha256(data: BinaryLike): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * §2.3 user API key check. The server stores only the SHA-256 of the secret; a token that
 * passed once is remembered so the hot path does not hash again.
 */
export class UserAuth {
  private readonly verified = new Set<string>();

  constructor(
    private readonly keyId: string,
    private readonly secretHash: Buffer,
  ) {}

  check(token: string): AuthFailure | undefined {
    if (this.verified.has(token)) return undefined;
    if (token === '') return { status: 401, message: SIGNED_OUT, detail: 'Cookie "coder_session_token" or query parameter must be provided.' };
    const parts = token.split('-');
    if (parts.length !== 2) {
      return { status: 401, message: SIGNED_OUT, detail: `Invalid API key format: incorrect amount of API key parts, expected 2 got ${parts.length}` };
    }
    const [id = '', secret = ''] = parts;
    if (byteLength(id) !== 10)
      return { status: 401, message: SIGNED_OUT, detail: `Invalid API key format: invalid API key ID length, expected 10 got ${byteLength(id)}` };
    if (byteLength(secret) !== 22) {
      return { status: 401, message: SIGNED_OUT, detail: `Invalid API key format: invalid API key secret length, expected 22 got ${byteLength(secret)}` };
    }
    if (id !== this.keyId) return { status: 401, message: SIGNED_OUT, detail: 'API key is invalid.' };
    if (!timingSafeEqual(sha256(secret), this.secretHash)) return { status: 401, message: SIGNED_OUT, detail: 'API key secret is invalid.' };
    if (this.verified.size < 16) this.verified.add(token);
    return undefined;
  }
}
