import type { WebSocket } from 'ws';
import type { Exchange } from '../http/reply.js';
import { acceptable, upgrade } from '../routes/sockets.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';
import { checkApiVersion, UNSUPPORTED_VERSION_MESSAGE } from './api-version.js';
import { serveAgentSession, serveClientSession } from './rpc-session.js';

/**
 * The two v2 upgrade routes (docs/protocol-v2.md §1, §6.1), after authentication: the `version`
 * parameter (400 with coderd's body), the WebSocket handshake rules shared with v1, then the
 * yamux/dRPC session.
 */

/** coderd 2.8–2.12 still accepted major 1 (`WithBackwardCompat(1)`); 2.13+ does not. */
function extraMajors(s: ServerState): number[] {
  return s.opts.protocols.v1 ? [1] : [];
}

function versionOr400(s: ServerState, ex: Exchange, fallback: string): { major: number; version: string } | undefined {
  const raw = new URLSearchParams(ex.query).get('version') ?? '';
  const check = checkApiVersion(raw === '' ? fallback : raw, undefined, extraMajors(s));
  if (check.ok) return check;
  s.totals.v2.versionRejected++;
  s.responder.error(ex, 400, UNSUPPORTED_VERSION_MESSAGE, undefined, [{ field: 'version', detail: check.detail }]);
  return undefined;
}

/** GET /me/rpc: an absent `version` means 2.0 (the first dRPC agents sent none). */
export function agentRpc(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  const version = versionOr400(s, ex, '2.0');
  if (!version || !acceptable(s, ex)) return;
  upgrade(
    s,
    ex,
    (ws: WebSocket) => {
      s.store.count(agent).remoteAddress = ex.req.socket.remoteAddress;
      serveAgentSession(s, ws, agent, version.version);
    },
    s.wssV2,
  );
}

/**
 * GET /{id}/coordinate with v2 served: an absent `version` means 1.0, which is the v1 JSON
 * coordinator while v1 is served and a 400 otherwise. Returns false when the caller should serve
 * v1 JSON instead.
 */
export function clientCoordinate(s: ServerState, ex: Exchange, agent: AgentRecord, serveV1: () => void): void {
  const version = versionOr400(s, ex, '1.0');
  if (!version) return;
  if (version.major === 1) return serveV1();
  if (!acceptable(s, ex)) return;
  upgrade(s, ex, (ws: WebSocket) => serveClientSession(s, ws, agent), s.wssV2);
}
