import { coderResponse } from '../../protocol/codersdk-response.js';
import { formatGoDuration } from '../../protocol/go-duration.js';
import { API_PREFIX, matchRoute, V1_ONLY_ROUTES } from '../routes/router.js';
import * as me from '../routes/agent-me.js';
import { buildInfo, BUILDINFO_PATH } from '../routes/buildinfo.js';
import * as user from '../routes/agent-user.js';
import { externalAuth } from '../routes/external-auth.js';
import { gitAuth } from '../routes/gitauth.js';
import { instanceIdentity } from '../routes/identity.js';
import * as sockets from '../routes/sockets.js';
import * as v2 from '../v2/routes.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';
import { authenticateAgent, sessionToken } from './auth.js';
import type { CostQueue } from './cost-model.js';
import type { RateLimiter } from './rate-limit.js';
import { readBodyThen, type Exchange } from './reply.js';

/**
 * The request pipeline, in coderd's middleware order: /api/v2 rate limit → route match (404 /
 * 405) → injected fault → authentication (agent token, user key + path param, or none) →
 * bounded body read → handler. Handler errors become coderd's generic 500; nothing here throws
 * to the HTTP server. With a cost model (`cost`, scenario `server.capacity`) every request first
 * waits its turn for a worker (cost-model.ts); without one the only added work is one check.
 */
export function createDispatcher(s: ServerState, limiter: RateLimiter | undefined, cost?: CostQueue): (ex: Exchange) => void {
  const notFound = s.responder.encode(coderResponse('Route not found.'));
  const rateLimitBody = s.responder.encode(
    coderResponse(`You've been rate limited for sending more than ${limiter?.limit ?? 512} requests in ${formatGoDuration(60_000)}.`),
  );
  const injected = s.responder.encode(coderResponse('An internal server error occurred.', 'injected fault'));
  const tooLarge = s.responder.encode(coderResponse('Request body too large.', `The request body exceeds the limit of ${s.opts.maxBodyBytes} bytes.`));

  const fail = (ex: Exchange, error: unknown): void => {
    if (ex.done) return;
    s.responder.error(ex, 500, 'An internal server error occurred.', (error as Error)?.message ?? String(error));
  };

  const withBody = (ex: Exchange, then: (body: Buffer) => void | Promise<void>): void => {
    readBodyThen(ex.req, s.opts.maxBodyBytes, (result): void => {
      if (result.kind === 'aborted') {
        ex.done = true;
        return;
      }
      if (result.kind === 'too-large') return s.responder.json(ex, 413, tooLarge, ['Connection', 'close']);
      try {
        const pending = then(result.body);
        if (pending) pending.catch((error: unknown) => fail(ex, error));
      } catch (error) {
        fail(ex, error);
      }
    });
  };

  const route = (ex: Exchange): void => {
    const path = ex.path;
    if (path !== API_PREFIX && !path.startsWith('/api/v2/')) return s.responder.json(ex, 404, notFound);
    if (limiter) {
      const decision = limiter.check(ex.req.socket.remoteAddress ?? '', path);
      ex.extra = decision.headers;
      if (!decision.allowed) {
        s.totals.rateLimited++;
        return s.responder.json(ex, 429, rateLimitBody);
      }
    }
    if (path === BUILDINFO_PATH) return buildInfo(s, ex);
    const match = matchRoute(path);
    if (!match) return s.responder.json(ex, 404, notFound);
    const def = match.def;
    // A server without one API generation has no such routes at all (docs/protocol-v2.md §7).
    if (!s.opts.protocols.v1 && V1_ONLY_ROUTES.has(def.id)) return s.responder.json(ex, 404, notFound);
    if (!s.opts.protocols.v2 && def.id === 'agentRpc') return s.responder.json(ex, 404, notFound);
    if (ex.req.method !== def.method) return s.responder.empty(ex, 405);
    const fault = s.faults.take(def.endpoint);
    if (fault) {
      s.totals.faultsInjected++;
      const body = fault.body ? s.responder.encode(fault.body) : fault.status === 429 ? rateLimitBody : injected;
      return s.responder.json(ex, fault.status, body, fault.status === 429 ? ['Retry-After', '60'] : undefined);
    }
    switch (def.id) {
      case 'awsIdentity':
        return withBody(ex, (body) => instanceIdentity(s, ex, 'aws', body));
      case 'azureIdentity':
        return withBody(ex, (body) => instanceIdentity(s, ex, 'azure', body));
      case 'googleIdentity':
        return withBody(ex, (body) => instanceIdentity(s, ex, 'google', body));
      case 'agent':
      case 'connection':
      case 'listeningPorts':
      case 'pty':
      case 'clientCoordinate': {
        const failure = s.userAuth.check(sessionToken(ex.req, ex.query));
        if (failure) return s.responder.error(ex, failure.status, failure.message, failure.detail);
        const agent = user.agentParam(s, ex, match.param as string);
        if (!agent) return;
        if (def.id === 'agent') return user.getAgent(s, ex, agent);
        if (def.id === 'connection') return user.connection(s, ex);
        if (def.id === 'listeningPorts') return user.listeningPorts(s, ex, agent);
        if (def.id === 'pty') return sockets.pty(s, ex, agent);
        if (s.opts.protocols.v2) return v2.clientCoordinate(s, ex, agent, () => sockets.clientCoordinate(s, ex, agent));
        return sockets.clientCoordinate(s, ex, agent);
      }
      default: {
        const auth = authenticateAgent(sessionToken(ex.req, ex.query), s.store);
        if (!('id' in auth)) return s.responder.error(ex, auth.status, auth.message, auth.detail);
        const agent: AgentRecord = auth;
        switch (def.id) {
          case 'metadata':
            return me.metadata(s, ex, agent);
          case 'gitsshkey':
            return me.gitSshKey(s, ex, agent);
          case 'gitauth':
            return gitAuth(s, ex, agent);
          case 'externalAuth':
            return externalAuth(s, ex, agent);
          case 'agentCoordinate':
            return sockets.agentCoordinate(s, ex, agent);
          case 'agentRpc':
            return v2.agentRpc(s, ex, agent);
          case 'version':
            return withBody(ex, (body) => me.version(s, ex, agent, body));
          case 'reportLifecycle':
            return withBody(ex, (body) => me.reportLifecycle(s, ex, agent, body));
          case 'reportStats':
            return withBody(ex, (body) => me.reportStats(s, ex, agent, body));
          case 'appHealth':
            return withBody(ex, (body) => me.appHealth(s, ex, agent, body));
        }
      }
    }
  };

  const handle = (ex: Exchange): void => {
    try {
      route(ex);
    } catch (error) {
      fail(ex, error);
    }
  };

  if (!cost) {
    return (ex) => {
      s.totals.requests++;
      handle(ex);
    };
  }
  const only = s.opts.capacity?.endpoints ? new Set(s.opts.capacity.endpoints) : undefined;
  return (ex) => {
    s.totals.requests++;
    if (only && !only.has(matchRoute(ex.path)?.def.endpoint ?? '')) return handle(ex);
    // A client that gave up while queued (timeout, the fleet stopping) costs no worker time.
    cost.admit(
      () => (ex.socket ?? ex.req.socket).destroyed,
      () => handle(ex),
    );
  };
}
