/**
 * Authentication failures in every token position (protocol §2.1–§2.5): exact statuses and
 * codersdk bodies for agent tokens on `/me/*`, user keys on `/{id}/*`, the order in which the
 * positions are read, and the unauthenticated identity routes.
 */
import type { ConformGroup } from '../check.js';
import type { TokenPlace } from '../http-probe.js';
import { httpCheck, sdkBody, type HttpCase } from '../http-cases.js';
import { AGENTS_PATH } from '../sockets.js';

const PLACES: readonly TokenPlace[] = ['header', 'cookie', 'query', 'devcookie'];
const NOT_A_UUID = 'conform-not-a-uuid';
/** A well-formed UUID no target has issued (version 4, fixed). */
const UNKNOWN_UUID = 'c0f0c0f0-0000-4000-8000-00000000c0de';
const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';
const NO_AGENT_TOKEN = sdkBody('Cookie "coder_session_token" must be provided.');
const invalidAgentToken = (token: string): string =>
  sdkBody('Workspace agent token invalid.', `An agent token must be a valid UUIDv4. (len ${Buffer.byteLength(token)})`);
const UNKNOWN_AGENT = sdkBody(
  'Workspace agent not authorized.',
  'The agent cannot authenticate until the workspace provision job has been completed. If the job is no longer running, this agent is invalid.',
);
const METADATA = `${AGENTS_PATH}/me/metadata`;

const agentCases: HttpCase[] = [
  {
    name: 'agent-missing',
    title: 'agent route without a token: 401',
    cite: 'protocol §2.2',
    build: () => ({ request: { path: METADATA }, expect: { status: 401, body: NO_AGENT_TOKEN } }),
  },
  ...PLACES.flatMap((place): HttpCase[] => [
    {
      name: `agent-${place}-not-uuid`,
      title: `agent token in the ${place} that is not a UUID: 401 with its byte length`,
      cite: 'protocol §2.1, §2.2',
      build: () => ({ request: { path: METADATA, tokens: [{ token: NOT_A_UUID, place }] }, expect: { status: 401, body: invalidAgentToken(NOT_A_UUID) } }),
    },
    {
      name: `agent-${place}-unknown`,
      title: `unknown agent token in the ${place}: 401`,
      cite: 'protocol §2.1, §2.2',
      build: () => ({ request: { path: METADATA, tokens: [{ token: UNKNOWN_UUID, place }] }, expect: { status: 401, body: UNKNOWN_AGENT } }),
    },
    {
      name: `agent-${place}-valid`,
      title: `valid agent token in the ${place}: 200`,
      cite: 'protocol §2.1',
      build: (ctx) => ({ request: { path: METADATA, tokens: [{ token: ctx.agent('auth').token, place }] }, expect: { status: 200 } }),
    },
  ]),
  {
    name: 'agent-cookie-beats-header',
    title: 'a bad cookie wins over a valid header (cookie is read first)',
    cite: 'protocol §2.1',
    build: (ctx) => ({
      request: {
        path: METADATA,
        tokens: [
          { token: ctx.agent('auth').token, place: 'header' },
          { token: NOT_A_UUID, place: 'cookie' },
        ],
      },
      expect: { status: 401, body: invalidAgentToken(NOT_A_UUID) },
    }),
  },
  {
    name: 'agent-query-beats-header',
    title: 'a bad query parameter wins over a valid header',
    cite: 'protocol §2.1',
    build: (ctx) => ({
      request: {
        path: METADATA,
        tokens: [
          { token: ctx.agent('auth').token, place: 'header' },
          { token: NOT_A_UUID, place: 'query' },
        ],
      },
      expect: { status: 401, body: invalidAgentToken(NOT_A_UUID) },
    }),
  },
  {
    name: 'agent-header-beats-devcookie',
    title: 'a valid header wins over a bad dev-URL cookie',
    cite: 'protocol §2.1',
    build: (ctx) => ({
      request: {
        path: METADATA,
        tokens: [
          { token: ctx.agent('auth').token, place: 'header' },
          { token: NOT_A_UUID, place: 'devcookie' },
        ],
      },
      expect: { status: 200 },
    }),
  },
  {
    name: 'agent-empty-cookie-skipped',
    title: 'an empty cookie value is skipped for the next position',
    cite: 'protocol §2.1',
    build: (ctx) => ({
      request: { path: METADATA, headers: { cookie: 'coder_session_token=' }, tokens: [{ token: ctx.agent('auth').token, place: 'header' }] },
      expect: { status: 200 },
    }),
  },
  {
    name: 'agent-user-key-on-agent-route',
    title: 'a user API key on an agent route is "not a UUID"',
    cite: 'protocol §2.2',
    build: (ctx) => ({
      request: { path: METADATA, tokens: [{ token: ctx.credentials.userToken, place: 'header' }] },
      expect: { status: 401, body: invalidAgentToken(ctx.credentials.userToken) },
    }),
  },
  {
    name: 'agent-coordinate-missing',
    title: '/me/coordinate without a token: 401 before the upgrade',
    cite: 'protocol §5.10',
    build: () => ({ request: { path: `${AGENTS_PATH}/me/coordinate` }, expect: { status: 401, body: NO_AGENT_TOKEN } }),
  },
];

const signedOut = (detail: string): string => sdkBody(SIGNED_OUT, detail);
const agentPath = (id: string): string => `${AGENTS_PATH}/${id}`;
const SECRET22 = 'abcdefghijklmnopqrstuv';

/** User-key failures (protocol §2.3): token text → detail. */
const userKeyTable: { name: string; title: string; token: (real: string) => string; detail: (token: string) => string }[] = [
  {
    name: 'one-part',
    title: 'no dash',
    token: () => 'conformkey',
    detail: () => 'Invalid API key format: incorrect amount of API key parts, expected 2 got 1',
  },
  {
    name: 'three-parts',
    title: 'two dashes',
    token: () => 'a-b-c',
    detail: () => 'Invalid API key format: incorrect amount of API key parts, expected 2 got 3',
  },
  {
    name: 'id-length',
    title: 'a 5-character id',
    token: () => `short-${SECRET22}`,
    detail: () => 'Invalid API key format: invalid API key ID length, expected 10 got 5',
  },
  {
    name: 'secret-length',
    title: 'a 5-character secret',
    token: () => 'abcdefghij-short',
    detail: () => 'Invalid API key format: invalid API key secret length, expected 22 got 5',
  },
  { name: 'unknown-id', title: 'an id the server never issued', token: () => `zzconform0-${SECRET22}`, detail: () => 'API key is invalid.' },
  {
    name: 'wrong-secret',
    title: 'the right id with a wrong secret',
    token: (real) => `${real.split('-')[0]}-${SECRET22}`,
    detail: () => 'API key secret is invalid.',
  },
  {
    name: 'agent-token',
    title: 'an agent token (a UUID has five parts)',
    token: () => UNKNOWN_UUID,
    detail: () => 'Invalid API key format: incorrect amount of API key parts, expected 2 got 5',
  },
];

const userCases: HttpCase[] = [
  {
    name: 'user-missing',
    title: 'user route without a key: 401',
    cite: 'protocol §2.3',
    build: (ctx) => ({
      request: { path: agentPath(ctx.agent('auth').id) },
      expect: { status: 401, body: signedOut('Cookie "coder_session_token" or query parameter must be provided.') },
    }),
  },
  ...userKeyTable.flatMap((row) =>
    (['header', 'cookie', 'query'] as const).map(
      (place): HttpCase => ({
        name: `user-${place}-${row.name}`,
        title: `user key in the ${place} with ${row.title}: 401`,
        cite: 'protocol §2.1, §2.3',
        build: (ctx) => {
          const token = row.token(ctx.credentials.userToken);
          return {
            request: { path: agentPath(ctx.agent('auth').id), tokens: [{ token, place }] },
            expect: { status: 401, body: signedOut(row.detail(token)) },
          };
        },
      }),
    ),
  ),
  ...(['header', 'cookie', 'query'] as const).map(
    (place): HttpCase => ({
      name: `user-${place}-valid`,
      title: `valid user key in the ${place}: 200`,
      cite: 'protocol §2.1, §2.3',
      build: (ctx) => ({ request: { path: agentPath(ctx.agent('auth').id), tokens: [{ token: ctx.credentials.userToken, place }] }, expect: { status: 200 } }),
    }),
  ),
  {
    name: 'user-coordinate-missing',
    title: '/{id}/coordinate without a key: 401 before the upgrade',
    cite: 'protocol §2.3, §5.13',
    build: (ctx) => ({
      request: { path: `${agentPath(ctx.agent('auth').id)}/coordinate` },
      expect: { status: 401, body: signedOut('Cookie "coder_session_token" or query parameter must be provided.') },
    }),
  },
  {
    name: 'identity-ignores-token',
    title: 'identity exchanges are unauthenticated: a bad token is ignored (400 validation, not 401)',
    cite: 'protocol §2.5',
    build: () => ({
      request: { method: 'POST', path: `${AGENTS_PATH}/google-instance-identity`, body: {}, tokens: [{ token: NOT_A_UUID, place: 'header' }] },
      expect: {
        status: 400,
        body: sdkBody('Validation failed.', undefined, [{ field: 'json_web_token', detail: 'Validation failed for tag "required" with value: ""' }]),
      },
    }),
  },
];

export const authGroup: ConformGroup = {
  name: 'auth',
  describe: 'token positions and auth failures: exact statuses and codersdk bodies (§2)',
  checks: [...agentCases, ...userCases].map((c) => httpCheck('auth', c)),
};
