/**
 * Every route's success shape (protocol §1.1, §4, §5, §6): status, the JSON encoding rules and
 * the wire key order Go writes. Routes that store something are marked `mutates`.
 */
import { signAwsIdentity } from '../../client/identity/aws.js';
import { signAzureIdentity } from '../../client/identity/azure.js';
import { signGoogleIdentity } from '../../client/identity/google.js';
import { compare, fail, pass, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
import { describeResponse, type ProbeResponse } from '../http-probe.js';
import { httpCheck, jsonOf, keyOrder, type HttpCase } from '../http-cases.js';
import { AGENTS_PATH } from '../sockets.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** §1.1: JSON type, trailing newline, build header. Returns the first problem as [expected, observed]. */
function encodingProblem(res: ProbeResponse): { expected: string; observed: string } | undefined {
  if (res.headers['content-type'] !== JSON_TYPE)
    return { expected: `Content-Type ${JSON_TYPE}`, observed: `Content-Type ${res.headers['content-type'] ?? '(none)'}` };
  if (!res.text.endsWith('\n')) return { expected: 'body ends with a newline (json.Encoder)', observed: 'no trailing newline' };
  if (!res.headers['x-coder-build-version']) return { expected: 'X-Coder-Build-Version header', observed: 'absent' };
  return undefined;
}

/** Keys must appear in this order; `optional` ones may be absent (omitempty). */
function orderProblem(value: unknown, order: readonly string[], optional: readonly string[] = []): { expected: string; observed: string } | undefined {
  const keys = keyOrder(value);
  const want = order.filter((k) => keys.includes(k) || !optional.includes(k));
  return keys.join(',') === want.join(',') ? undefined : { expected: `keys ${want.join(',')}`, observed: `keys ${keys.join(',')}` };
}

function shapeCheck(
  name: string,
  title: string,
  cite: string,
  request: (ctx: ConformContext) => { method?: string; path: string; body?: unknown; token: string },
  order: readonly string[],
  opts: {
    optional?: readonly string[];
    mutates?: boolean;
    more?: (body: Record<string, unknown>, ctx: ConformContext) => { expected: string; observed: string } | undefined;
  } = {},
): ConformCheck {
  return {
    id: `routes.${name}`,
    title,
    cite,
    mutates: opts.mutates,
    run: async (ctx) => {
      const r = request(ctx);
      const res = await ctx.http.send({ method: r.method, path: r.path, body: r.body, tokens: [{ token: r.token, place: 'header' }] });
      const expected = `200 JSON with keys ${order.join(',')}`;
      if (res.status !== 200) return fail(expected, describeResponse(res));
      const body = jsonOf(res, expected) as Record<string, unknown>;
      const problem = encodingProblem(res) ?? orderProblem(body, order, opts.optional) ?? opts.more?.(body, ctx);
      return problem ? fail(problem.expected, problem.observed) : pass(expected, `200 keys ${keyOrder(body).join(',')}`);
    },
  };
}

const me = (path: string): string => `${AGENTS_PATH}/me/${path}`;
const byId = (ctx: ConformContext, suffix = ''): string => `${AGENTS_PATH}/${ctx.agent('routes').id}${suffix}`;
const agentToken = (ctx: ConformContext): string => ctx.agent('routes').token;

const METADATA_KEYS = [
  'git_auth_configs',
  'vscode_port_proxy_uri',
  'apps',
  'derpmap',
  'environment_variables',
  'startup_script',
  'startup_script_timeout',
  'directory',
  'motd_file',
];
const AGENT_KEYS = [
  'id',
  'created_at',
  'updated_at',
  'first_connected_at',
  'last_connected_at',
  'disconnected_at',
  'status',
  'lifecycle_state',
  'name',
  'resource_id',
  'instance_id',
  'architecture',
  'environment_variables',
  'operating_system',
  'startup_script',
  'directory',
  'version',
  'apps',
  'latency',
  'connection_timeout_seconds',
  'troubleshooting_url',
  'login_before_ready',
  'startup_script_timeout_seconds',
];
const AGENT_OPTIONAL = ['first_connected_at', 'last_connected_at', 'disconnected_at', 'instance_id', 'startup_script', 'directory', 'latency'];

/** The DERP map's keys are Go field names (protocol §10). */
function derpProblem(map: unknown, where: string): { expected: string; observed: string } | undefined {
  const keys = keyOrder(map);
  return keys[0] === 'Regions'
    ? undefined
    : { expected: `${where} keys start with Regions (PascalCase)`, observed: `${where} keys ${keys.join(',') || '(not an object)'}` };
}

/** 200 with exactly `null\n` (protocol §1.1). */
function nullCase(name: string, title: string, cite: string, path: string, body: unknown): HttpCase {
  return {
    name,
    title,
    cite,
    mutates: true,
    build: (ctx) => ({
      request: { method: 'POST', path: me(path), body, tokens: [{ token: agentToken(ctx), place: 'header' }] },
      expect: { status: 200, body: 'null\n' },
    }),
  };
}

const ZERO_STATS = { conns_by_proto: {}, num_comms: 0, rx_packets: 0, rx_bytes: 0, tx_packets: 0, tx_bytes: 0 };

function statsCheck(name: string, title: string, stats: typeof ZERO_STATS, mutates: boolean): ConformCheck {
  return shapeCheck(
    name,
    title,
    'protocol §1.4, §5.7',
    (ctx) => ({ method: 'POST', path: me('report-stats'), body: stats, token: agentToken(ctx) }),
    ['report_interval'],
    {
      mutates,
      more: (body) => {
        const ns = body.report_interval;
        return typeof ns === 'number' && Number.isInteger(ns) && ns >= 1e9
          ? undefined
          : { expected: 'report_interval in nanoseconds (an integer >= 1e9)', observed: `report_interval ${JSON.stringify(ns)}` };
      },
    },
  );
}

type IdentityKind = 'aws' | 'azure' | 'google';

function identityCheck(kind: IdentityKind): ConformCheck {
  return {
    id: `routes.identity-${kind}`,
    title: `${kind}-instance-identity exchange answers the agent's token`,
    cite: 'protocol §5.1',
    run: async (ctx) => {
      const material = ctx.credentials.identity;
      if (!material) return { verdict: 'skip', expected: '', observed: 'the credentials carry no identity signing keys (only the embedded server has them)' };
      const agent = ctx.agent('routes');
      const body =
        kind === 'aws'
          ? signAwsIdentity(agent.instanceId, material.aws)
          : kind === 'azure'
            ? signAzureIdentity(agent.instanceId, material.azure)
            : signGoogleIdentity(agent.instanceId, material.google);
      const res = await ctx.http.send({ method: 'POST', path: `${AGENTS_PATH}/${kind}-instance-identity`, body });
      // The report redacts the token; the comparison is on the real value.
      return compare(
        `200 {"session_token":"<agent token>"}\\n`,
        res.status === 200 && res.text === `{"session_token":"${agent.token}"}\n` ? `200 {"session_token":"<agent token>"}\\n` : describeResponse(res),
      );
    },
  };
}

function buildHeaderCheck(): ConformCheck {
  return {
    id: 'routes.build-version-on-errors',
    title: 'X-Coder-Build-Version is on error answers too',
    cite: 'protocol §1.1',
    run: async (ctx) => {
      const res = await ctx.http.send({ path: me('metadata') });
      const value = res.headers['x-coder-build-version'];
      return value
        ? pass('X-Coder-Build-Version on a 401', `${res.status} X-Coder-Build-Version: ${value}`)
        : fail('X-Coder-Build-Version on a 401', `${describeResponse(res)} without it`);
    },
  };
}

export const routesGroup: ConformGroup = {
  name: 'routes',
  describe: "every route's success status, encoding and key order (§1.1, §4, §5, §6)",
  checks: [
    shapeCheck(
      'metadata',
      'GET /me/metadata: Metadata in Go field order, DERP map PascalCase',
      'protocol §5.2, §10',
      (ctx) => ({ path: me('metadata'), token: agentToken(ctx) }),
      METADATA_KEYS,
      {
        more: (body) =>
          !Array.isArray(body.apps)
            ? { expected: 'apps is an array', observed: `apps ${JSON.stringify(body.apps)}` }
            : typeof body.startup_script_timeout !== 'number' || !Number.isInteger(body.startup_script_timeout)
              ? { expected: 'startup_script_timeout an integer (ns)', observed: JSON.stringify(body.startup_script_timeout) }
              : derpProblem(body.derpmap, 'derpmap'),
      },
    ),
    shapeCheck(
      'gitsshkey',
      'GET /me/gitsshkey: public key with a trailing newline, PEM private key',
      'protocol §5.6',
      (ctx) => ({ path: me('gitsshkey'), token: agentToken(ctx) }),
      ['public_key', 'private_key'],
      {
        more: (body) =>
          typeof body.public_key === 'string' &&
          body.public_key.endsWith('\n') &&
          typeof body.private_key === 'string' &&
          body.private_key.startsWith('-----BEGIN ')
            ? undefined
            : { expected: 'public_key ending in \\n, private_key starting -----BEGIN', observed: 'other values' },
      },
    ),
    {
      id: 'routes.gitauth',
      title: 'GET /me/gitauth for a github URL: all three keys',
      cite: 'protocol §5.5',
      run: async (ctx) => {
        const res = await ctx.http.send({
          path: me(`gitauth?url=${encodeURIComponent('https://github.com/coder/coder')}`),
          tokens: [{ token: agentToken(ctx), place: 'header' }],
        });
        if (res.status === 404 && res.text.startsWith('{"message":"No git provider found')) {
          return { verdict: 'skip', expected: '', observed: 'the target has no git-auth provider for github.com' };
        }
        const expected = '200 JSON with keys username,password,url';
        if (res.status !== 200) return fail(expected, describeResponse(res));
        const body = jsonOf(res, expected);
        const problem = encodingProblem(res) ?? orderProblem(body, ['username', 'password', 'url']);
        return problem ? fail(problem.expected, problem.observed) : pass(expected);
      },
    },
    statsCheck('report-stats-zero', 'POST /me/report-stats with zero bytes: report_interval in ns (no state change)', ZERO_STATS, false),
    statsCheck(
      'report-stats',
      'POST /me/report-stats with traffic: report_interval in ns',
      { ...ZERO_STATS, conns_by_proto: { tcp: 1 }, num_comms: 1, rx_packets: 3, rx_bytes: 300, tx_packets: 2, tx_bytes: 200 },
      true,
    ),
    httpCheck('routes', nullCase('version', 'POST /me/version: 200 null', 'protocol §1.1, §5.3', 'version', { version: 'v0.15.3' })),
    httpCheck('routes', {
      name: 'app-health',
      title: 'POST /me/app-health with Healths: 200 null',
      cite: 'protocol §1.1, §5.4',
      mutates: true,
      build: (ctx) => {
        const agent = ctx.agentWhere('routes.app-health', (a) => a.apps.some((app) => app.healthcheck));
        const app = agent?.apps.find((a) => a.healthcheck);
        if (!agent || !app) return 'no agent in the credentials has an app with a health check';
        return {
          request: { method: 'POST', path: me('app-health'), body: { Healths: { [app.id]: 'healthy' } }, tokens: [{ token: agent.token, place: 'header' }] },
          expect: { status: 200, body: 'null\n' },
        };
      },
    }),
    httpCheck('routes', {
      name: 'report-lifecycle',
      title: 'POST /me/report-lifecycle: exactly 204, empty body',
      cite: 'protocol §1.1, §5.8',
      mutates: true,
      build: (ctx) => ({
        request: { method: 'POST', path: me('report-lifecycle'), body: { state: 'ready' }, tokens: [{ token: agentToken(ctx), place: 'header' }] },
        expect: { status: 204, body: '' },
      }),
    }),
    shapeCheck(
      'agent',
      'GET /{id}: WorkspaceAgent in Go field order, known status',
      'protocol §5.11, §6',
      (ctx) => ({ path: byId(ctx), token: ctx.credentials.userToken }),
      AGENT_KEYS,
      {
        optional: AGENT_OPTIONAL,
        more: (body, ctx) =>
          body.id !== ctx.agent('routes').id
            ? { expected: `id ${ctx.agent('routes').id}`, observed: `id ${String(body.id)}` }
            : !['connecting', 'connected', 'disconnected', 'timeout'].includes(String(body.status))
              ? { expected: 'status connecting|connected|disconnected|timeout', observed: `status ${JSON.stringify(body.status)}` }
              : !Array.isArray(body.apps)
                ? { expected: 'apps an array', observed: JSON.stringify(body.apps) }
                : undefined,
      },
    ),
    shapeCheck(
      'connection',
      'GET /{id}/connection: {"derp_map"} with PascalCase keys',
      'protocol §5.12, §10',
      (ctx) => ({ path: byId(ctx, '/connection'), token: ctx.credentials.userToken }),
      ['derp_map'],
      {
        more: (body) => derpProblem(body.derp_map, 'derp_map'),
      },
    ),
    identityCheck('aws'),
    identityCheck('azure'),
    identityCheck('google'),
    buildHeaderCheck(),
  ],
};

export { encodingProblem };
