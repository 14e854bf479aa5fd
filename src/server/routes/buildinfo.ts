import type { Exchange } from '../http/reply.js';
import type { ServerState } from '../state.js';
import { SERVER_API_VERSION } from '../v2/api-version.js';

/** The unauthenticated build-info route (coderd `GET /api/v2/buildinfo`). */
export const BUILDINFO_PATH = '/api/v2/buildinfo';

/**
 * codersdk.BuildInfoResponse for this server: `version` is the build version it reports
 * everywhere (`X-Coder-Build-Version`), and `agent_api_version` is present only while the v2
 * agent API is served, as on a coderd that has one. A `protocol: "auto"` run reads both
 * (src/runner/protocol-probe.ts): the default dev-build version defers to `agent_api_version`.
 */
export function buildInfo(s: ServerState, ex: Exchange): void {
  if (ex.req.method !== 'GET') return s.responder.empty(ex, 405);
  const body: Record<string, unknown> = {
    external_url: 'https://github.com/coder/coder',
    version: s.opts.buildVersion,
    workspace_proxy: false,
  };
  if (s.opts.protocols.v2) body.agent_api_version = `${SERVER_API_VERSION.major}.${SERVER_API_VERSION.minor}`;
  s.responder.json(ex, 200, s.responder.encode(body));
}
