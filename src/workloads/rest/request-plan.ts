import { FleetsimError } from '../../core/errors.js';
import { ENDPOINT } from '../../metrics/names.js';
import type { CredentialAgent, Credentials } from '../../protocol/credentials.js';
import type { MixEntry, RestEndpoint } from './section.js';

/** One request to send: the route template it is recorded under and what goes on the wire. */
export interface PlannedRequest {
  endpoint: RestEndpoint;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A planned request with its HTTP/1.1 bytes, ready for the socket. */
export interface WireRequest {
  endpoint: RestEndpoint;
  bytes: Buffer;
}

/** Hands out the next request of the mix; shared by every connection so the fleet is covered evenly. */
export interface RequestPlan {
  next(): PlannedRequest;
  /** The next request encoded for `host`; the bytes of each (endpoint, agent) are built once. */
  nextWire(): WireRequest;
}

/** Encodes a request the way autocannon's request builder does (keep-alive, Content-Length). */
function encodeRequest(request: PlannedRequest, host: string): Buffer {
  let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(request.headers)) head += `${name}: ${value}\r\n`;
  const body = request.body ?? '';
  if (body.length > 0) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(`${head}\r\n${body}`);
}

const USER_SIDE = new Set<RestEndpoint>([ENDPOINT.agent, ENDPOINT.connection, ENDPOINT.listeningPorts]);

/** The agents an endpoint may be sent for: app-health only for agents with a health-checked app. */
function eligibleAgents(endpoint: RestEndpoint, agents: readonly CredentialAgent[]): CredentialAgent[] {
  if (endpoint !== ENDPOINT.appHealth) return [...agents];
  return agents.filter((agent) => agent.apps.some((app) => app.healthcheck));
}

/**
 * Builds the request plan. Endpoints are picked by smooth weighted round-robin (nginx's
 * algorithm): deterministic, and every window of `sum(weights)` picks matches the weights
 * exactly, so a count-bounded run honours the mix without sampling noise. Each endpoint keeps
 * its own cursor over its eligible agents, so consecutive requests rotate through the fleet's
 * ids and tokens the way a real fleet's traffic would spread.
 *
 * @param basePath the API prefix, e.g. `/api/v2/workspaceagents` (target URL path included).
 * @throws FleetsimError('usage') when an endpoint of the mix has no agent to be sent for.
 */
export function createRequestPlan(mix: readonly MixEntry[], credentials: Credentials, basePath: string, host = 'localhost'): RequestPlan {
  const lanes = mix.map(({ endpoint, weight }) => {
    const agents = eligibleAgents(endpoint, credentials.agents);
    if (agents.length === 0) {
      const why = endpoint === ENDPOINT.appHealth ? 'no agent has an app with a healthcheck' : 'the credentials list no agents';
      throw new FleetsimError('usage', `REST mix endpoint "${endpoint}" cannot be sent: ${why}`, {
        hint: 'remove it from rest.mix or provision agents that qualify',
      });
    }
    // App-health bodies are fixed per agent: report every health-checked app as healthy.
    const appHealthBodies = agents.map((agent) => {
      const healths: Record<string, string> = {};
      for (const app of agent.apps) if (app.healthcheck) healths[app.id] = 'healthy';
      return JSON.stringify({ Healths: healths });
    });
    const wire: (Buffer | undefined)[] = new Array(agents.length);
    return { endpoint, weight, current: 0, agents, appHealthBodies, cursor: 0, wire };
  });
  const total = lanes.reduce((sum, lane) => sum + lane.weight, 0);
  const userToken = credentials.userToken;

  const pickLane = (): (typeof lanes)[number] => {
    let best = lanes[0]!;
    for (const lane of lanes) {
      lane.current += lane.weight;
      if (lane.current > best.current) best = lane;
    }
    best.current -= total;
    return best;
  };

  const build = (lane: (typeof lanes)[number], index: number): PlannedRequest => {
    const agent = lane.agents[index]!;
    const endpoint = lane.endpoint;
    if (USER_SIDE.has(endpoint)) {
      const suffix = endpoint === ENDPOINT.agent ? '' : endpoint === ENDPOINT.connection ? '/connection' : '/listening-ports';
      return { endpoint, method: 'GET', path: `${basePath}/${agent.id}${suffix}`, headers: { 'Coder-Session-Token': userToken } };
    }
    const get = (route: string): PlannedRequest => ({
      endpoint,
      method: 'GET',
      path: `${basePath}/me/${route}`,
      headers: { 'Coder-Session-Token': agent.token },
    });
    const post = (route: string, body: string): PlannedRequest => ({
      endpoint,
      method: 'POST',
      path: `${basePath}/me/${route}`,
      headers: { 'Coder-Session-Token': agent.token, 'Content-Type': 'application/json' },
      body,
    });
    switch (endpoint) {
      case ENDPOINT.metadata:
        return get('metadata');
      case ENDPOINT.gitsshkey:
        return get('gitsshkey');
      case ENDPOINT.reportStats: {
        // Non-zero rx/tx: a zero report is answered without any work (protocol §5.7) and would
        // measure nothing. Fixed per agent so its bytes can be built once.
        const n = index % 1000;
        return post(
          'report-stats',
          `{"conns_by_proto":{"tcp":1},"num_comms":1,"rx_packets":${10 + n},"rx_bytes":${1200 + n * 7},"tx_packets":${9 + n},"tx_bytes":${800 + n * 5}}`,
        );
      }
      case ENDPOINT.appHealth:
        return post('app-health', lane.appHealthBodies[index]!);
      case ENDPOINT.version:
        return post('version', '{"version":"v0.15.3"}');
      default:
        return post('report-lifecycle', '{"state":"ready"}');
    }
  };

  const advance = (): { lane: (typeof lanes)[number]; index: number } => {
    const lane = pickLane();
    const index = lane.cursor;
    lane.cursor = index + 1 === lane.agents.length ? 0 : index + 1;
    return { lane, index };
  };

  return {
    next(): PlannedRequest {
      const { lane, index } = advance();
      return build(lane, index);
    },
    nextWire(): WireRequest {
      const { lane, index } = advance();
      let bytes = lane.wire[index];
      if (!bytes) lane.wire[index] = bytes = encodeRequest(build(lane, index), host);
      return { endpoint: lane.endpoint, bytes };
    },
  };
}
