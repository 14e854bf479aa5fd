/**
 * Invalid inputs per route (protocol §1.2, §1.3, §2.4, §5): each entry is one bad request and
 * the exact 4xx answer coderd gives. None of these changes agent state.
 */
import type { ConformGroup } from '../check.js';
import { httpCheck, sdkBody, type HttpCase } from '../http-cases.js';
import { AGENTS_PATH } from '../sockets.js';

const BAD_JSON = 'Request body must be valid JSON.';
const UNKNOWN_UUID = 'c0f0c0f0-0000-4000-8000-00000000c0de';
const required = (field: string): { field: string; detail: string } => ({ field, detail: 'Validation failed for tag "required" with value: ""' });

/** A POST to a `/me/*` route with the agent token in the header. */
function agentPost(name: string, title: string, cite: string, path: string, body: unknown, status: number, expected: string | RegExp): HttpCase {
  return {
    name,
    title,
    cite,
    build: (ctx) => ({
      request: { method: 'POST', path: `${AGENTS_PATH}/me/${path}`, body, tokens: [{ token: ctx.agent('inputs').token, place: 'header' }] },
      expect: typeof expected === 'string' ? { status, body: expected } : { status, bodyMatch: expected },
    }),
  };
}

const cases: HttpCase[] = [
  agentPost(
    'version-not-semver',
    'version without a leading v',
    'protocol §5.3',
    'version',
    { version: '1.2.3' },
    400,
    sdkBody('Invalid workspace agent version provided.', 'invalid semver version: "1.2.3"'),
  ),
  agentPost('version-empty-body', 'empty body', 'protocol §1.3', 'version', '', 400, sdkBody(BAD_JSON, 'EOF')),
  agentPost(
    'version-wrong-type',
    'version as a number',
    'protocol §1.3',
    'version',
    { version: 1 },
    400,
    sdkBody(BAD_JSON, 'json: cannot unmarshal number into Go struct field PostVersionRequest.version of type string'),
  ),
  agentPost('app-health-empty', 'app-health with an empty map', 'protocol §5.4', 'app-health', { Healths: {} }, 400, sdkBody('Health field is empty')),
  agentPost('app-health-absent', 'app-health without the map', 'protocol §5.4', 'app-health', {}, 400, sdkBody('Health field is empty')),
  agentPost(
    'app-health-unknown-app',
    'app-health for an app the agent does not have (lower-case key: decoding is case-insensitive)',
    'protocol §1.3, §5.4',
    'app-health',
    { healths: { [UNKNOWN_UUID]: 'healthy' } },
    404,
    sdkBody('Error setting workspace app health', `workspace app name ${UNKNOWN_UUID} not found`),
  ),
  agentPost(
    'app-health-key-not-uuid',
    'app-health keyed by a non-UUID',
    'protocol §5.4',
    'app-health',
    { Healths: { nope: 'healthy' } },
    400,
    /^\{"message":"Request body must be valid JSON\.","detail":"[^"]+"\}\n$/,
  ),
  {
    name: 'app-health-invalid-value',
    title: 'app-health value "disabled" for a health-checked app',
    cite: 'protocol §5.4',
    build: (ctx) => {
      const found = ctx.credentials.agents.flatMap((a) => a.apps.filter((app) => app.healthcheck).map((app) => ({ a, app })))[0];
      if (!found) return 'no agent in the credentials has an app with a health check';
      return {
        request: {
          method: 'POST',
          path: `${AGENTS_PATH}/me/app-health`,
          body: { Healths: { [found.app.id]: 'disabled' } },
          tokens: [{ token: found.a.token, place: 'header' }],
        },
        expect: { status: 400, body: sdkBody('Error setting workspace app health', 'workspace app health disabled is not a valid value') },
      };
    },
  },
  {
    name: 'app-health-check-disabled',
    title: 'app-health for an app without a health check',
    cite: 'protocol §5.4',
    build: (ctx) => {
      const found = ctx.credentials.agents.flatMap((a) => a.apps.filter((app) => !app.healthcheck).map((app) => ({ a, app })))[0];
      if (!found) return 'no agent in the credentials has an app without a health check';
      return {
        request: {
          method: 'POST',
          path: `${AGENTS_PATH}/me/app-health`,
          body: { Healths: { [found.app.id]: 'healthy' } },
          tokens: [{ token: found.a.token, place: 'header' }],
        },
        expect: { status: 404, body: sdkBody('Error setting workspace app health', `health checking is disabled for workspace app ${found.app.id}`) },
      };
    },
  },
  agentPost(
    'report-stats-wrong-type',
    'report-stats with a string count',
    'protocol §1.3, §5.7',
    'report-stats',
    { rx_bytes: '1' },
    400,
    sdkBody(BAD_JSON, 'json: cannot unmarshal string into Go struct field Stats.rx_bytes of type int64'),
  ),
  agentPost(
    'report-stats-float',
    'report-stats with a fractional int64',
    'protocol §1.3, §5.7',
    'report-stats',
    { rx_bytes: 1.5 },
    400,
    sdkBody(BAD_JSON, 'json: cannot unmarshal number 1.5 into Go struct field Stats.rx_bytes of type int64'),
  ),
  agentPost(
    'report-lifecycle-invalid',
    'report-lifecycle with an unknown state ("be be" included)',
    'protocol §5.8',
    'report-lifecycle',
    { state: 'conform' },
    400,
    sdkBody('Invalid lifecycle state.', 'Invalid lifecycle state "conform", must be be one of ["created" "starting" "start_timeout" "start_error" "ready"].'),
  ),
  agentPost('report-lifecycle-empty-body', 'report-lifecycle with an empty body', 'protocol §1.3, §5.8', 'report-lifecycle', '', 400, sdkBody(BAD_JSON, 'EOF')),
  {
    name: 'gitauth-missing-url',
    title: 'gitauth without url',
    cite: 'protocol §5.5',
    build: (ctx) => ({
      request: { path: `${AGENTS_PATH}/me/gitauth`, tokens: [{ token: ctx.agent('inputs').token, place: 'header' }] },
      expect: { status: 400, body: sdkBody("Missing 'url' query parameter!") },
    }),
  },
  {
    name: 'gitauth-no-provider',
    title: 'gitauth for a URL no provider matches',
    cite: 'protocol §5.5',
    build: (ctx) => ({
      request: {
        path: `${AGENTS_PATH}/me/gitauth?url=${encodeURIComponent('https://conform.invalid/x')}`,
        tokens: [{ token: ctx.agent('inputs').token, place: 'header' }],
      },
      expect: { status: 404, body: sdkBody('No git provider found for URL "https://conform.invalid/x"') },
    }),
  },
  {
    name: 'agent-param-not-uuid',
    title: '{workspaceagent} that is not a UUID',
    cite: 'protocol §2.4',
    build: (ctx) => ({
      request: { path: `${AGENTS_PATH}/abc`, tokens: [{ token: ctx.credentials.userToken, place: 'header' }] },
      expect: { status: 400, body: sdkBody('Invalid UUID "workspaceagent".', 'invalid UUID length: 3') },
    }),
  },
  {
    name: 'agent-param-unknown',
    title: '{workspaceagent} no agent has',
    cite: 'protocol §2.4',
    build: (ctx) => ({
      request: { path: `${AGENTS_PATH}/${UNKNOWN_UUID}/connection`, tokens: [{ token: ctx.credentials.userToken, place: 'header' }] },
      expect: { status: 404, body: sdkBody("Agent doesn't exist with that id.") },
    }),
  },
  {
    name: 'identity-aws-missing-fields',
    title: 'aws-instance-identity with an empty object: both required fields reported',
    cite: 'protocol §1.3, §5.1',
    build: () => ({
      request: { method: 'POST', path: `${AGENTS_PATH}/aws-instance-identity`, body: {} },
      expect: {
        status: 400,
        bodyMatch:
          /^\{"message":"Validation failed\.","validations":\[(\{"field":"(signature|document)","detail":"Validation failed for tag \\"required\\" with value: \\"\\""\},?){2}\]\}\n$/,
        also: (res) =>
          res.text.includes('"signature"') && res.text.includes('"document"')
            ? undefined
            : { expected: 'fields signature and document', observed: 'one of them missing' },
      },
    }),
  },
  {
    name: 'identity-azure-missing-fields',
    title: 'azure-instance-identity without encoding',
    cite: 'protocol §1.3, §5.1',
    build: () => ({
      request: { method: 'POST', path: `${AGENTS_PATH}/azure-instance-identity`, body: { signature: 'x' } },
      expect: { status: 400, body: sdkBody('Validation failed.', undefined, [required('encoding')]) },
    }),
  },
  {
    name: 'unknown-route',
    title: 'an unknown path under /api/v2',
    cite: 'protocol §1.2',
    build: () => ({ request: { path: `${AGENTS_PATH}/me/conform-no-such-route` }, expect: { status: 404, body: sdkBody('Route not found.') } }),
  },
  {
    name: 'startup-absent',
    title: '/me/startup does not exist in the v1 contract',
    cite: 'protocol §5.9',
    build: (ctx) => ({
      request: { method: 'POST', path: `${AGENTS_PATH}/me/startup`, body: '', tokens: [{ token: ctx.agent('inputs').token, place: 'header' }] },
      expect: { status: 404, body: sdkBody('Route not found.') },
    }),
  },
  {
    name: 'wrong-method',
    title: 'a known path with the wrong method: 405, empty body',
    cite: 'protocol §1.2',
    build: (ctx) => ({
      request: { method: 'DELETE', path: `${AGENTS_PATH}/me/metadata`, tokens: [{ token: ctx.agent('inputs').token, place: 'header' }] },
      expect: { status: 405, body: '' },
    }),
  },
  {
    name: 'coordinate-not-upgrade',
    title: '/me/coordinate as a plain request: 426 from the WebSocket accept',
    cite: 'protocol §5.10',
    build: (ctx) => ({
      request: { path: `${AGENTS_PATH}/me/coordinate`, tokens: [{ token: ctx.agent('inputs').token, place: 'header' }] },
      expect: { status: 426, bodyMatch: /^WebSocket protocol violation: Connection header "[^"]*" does not contain Upgrade\n?$/ },
    }),
  },
];

export const inputsGroup: ConformGroup = {
  name: 'inputs',
  describe: 'invalid inputs per route: exact 4xx statuses and bodies (§1.2, §1.3, §2.4, §5)',
  checks: cases.map((c) => httpCheck('inputs', c)),
};
