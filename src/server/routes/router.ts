import { ENDPOINT } from '../../metrics/names.js';

/**
 * The route table of protocol §4, matched without regexes: `/api/v2/workspaceagents/` then either
 * an identity route, `me/<name>` (static `me` wins over `{id}`), `{id}` or `{id}/<name>`.
 */
export type RouteId = keyof typeof ENDPOINT | 'agentRpc';

/** Endpoint names of routes the shared metric names do not list (v2, docs/protocol-v2.md §1.1). */
const SERVER_ENDPOINT = { agentRpc: 'GET /me/rpc' } as const;

/** The v1 agent routes coderd 2.13 removed (docs/protocol-v2.md §7); 404 when v1 is off. */
export const V1_ONLY_ROUTES: ReadonlySet<RouteId> = new Set<RouteId>(['metadata', 'version', 'appHealth', 'agentCoordinate', 'reportStats', 'reportLifecycle']);

export interface RouteDef {
  id: RouteId;
  method: 'GET' | 'POST';
  /** ENDPOINT template, e.g. `POST /me/report-stats` (fault injection keys on it). */
  endpoint: string;
  /** Websocket routes answer 426 to a plain request after their pre-checks. */
  socket: boolean;
}

export interface RouteMatch {
  def: RouteDef;
  /** The raw `{workspaceagent}` segment (decoded), for `{id}` routes. */
  param?: string;
}

const def = (id: RouteId, socket = false): RouteDef => {
  const endpoint: string = id === 'agentRpc' ? SERVER_ENDPOINT[id] : ENDPOINT[id];
  return { id, method: endpoint.startsWith('POST') ? 'POST' : 'GET', endpoint, socket };
};

const TOP = new Map<string, RouteDef>([
  ['aws-instance-identity', def('awsIdentity')],
  ['azure-instance-identity', def('azureIdentity')],
  ['google-instance-identity', def('googleIdentity')],
]);

const ME = new Map<string, RouteDef>([
  ['metadata', def('metadata')],
  ['version', def('version')],
  ['app-health', def('appHealth')],
  ['gitauth', def('gitauth')],
  ['external-auth', def('externalAuth')],
  ['gitsshkey', def('gitsshkey')],
  ['coordinate', def('agentCoordinate', true)],
  ['report-stats', def('reportStats')],
  ['report-lifecycle', def('reportLifecycle')],
  ['rpc', def('agentRpc', true)],
]);

const AGENT = def('agent');
const BY_ID = new Map<string, RouteDef>([
  ['pty', def('pty', true)],
  ['listening-ports', def('listeningPorts')],
  ['connection', def('connection')],
  ['coordinate', def('clientCoordinate', true)],
]);

export const API_PREFIX = '/api/v2';
const AGENTS_PREFIX = '/api/v2/workspaceagents/';

/** Matches a full URL path (query already removed); undefined = `Route not found.` */
export function matchRoute(path: string): RouteMatch | undefined {
  if (!path.startsWith(AGENTS_PREFIX)) return undefined;
  const rest = path.slice(AGENTS_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash === -1) {
    const top = TOP.get(rest);
    if (top) return { def: top };
    if (rest === '' || rest === 'me') return undefined;
    const param = decodeSegment(rest);
    return param === undefined ? undefined : { def: AGENT, param };
  }
  const first = rest.slice(0, slash);
  const second = rest.slice(slash + 1);
  if (first === 'me') {
    const route = ME.get(second);
    return route ? { def: route } : undefined;
  }
  if (first === '' || TOP.has(first)) return undefined;
  const route = BY_ID.get(second);
  if (!route) return undefined;
  const param = decodeSegment(first);
  return param === undefined ? undefined : { def: route, param };
}

function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
