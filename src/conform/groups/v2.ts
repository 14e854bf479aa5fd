/**
 * The v2 agent API on `/me/rpc` (docs/protocol-v2.md §1.2, §1.3, §2.5, §5.1): authentication
 * before the version check, the version-negotiation 400 body, a GetManifest a Go agent would
 * accept, and drpcmux's answer to an unknown method. Skipped as a whole when the target does not
 * serve /me/rpc (coderd before 2.8).
 */
import { once } from 'node:events';
import { WebSocket } from 'ws';
import type { Manifest } from '../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC } from '../../protocol/v2/messages.js';
import { manifestProblems } from '../../protocol/v2/manifest-check.js';
import { connectRpcClient, type RpcClientConnection } from '../../protocol/v2/rpc-connection.js';
import { uuidFromBytes } from '../../protocol/v2/uuid-bytes.js';
import { DrpcError } from '../../protocol/v2/wire-errors.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream } from '../../protocol/v2/ws-byte-stream.js';
import { compare, fail, skip, type CheckOutcome, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
import { describeResponse, type ProbeRequest, type ProbeResponse } from '../http-probe.js';
import { judge, sdkBody, type HttpExpectation } from '../http-cases.js';
import { AGENTS_PATH } from '../sockets.js';

const RPC = `${AGENTS_PATH}/me/rpc`;
const NOT_SERVED = sdkBody('Route not found.');
const UNSUPPORTED = 'Unknown or unsupported API version';
const versionBody = (detail: string): string => sdkBody(UNSUPPORTED, undefined, [{ field: 'version', detail }]);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when the target answers /me/rpc with "Route not found." (no v2 at all). */
const notServed = (res: ProbeResponse): boolean => res.status === 404 && res.text === NOT_SERVED;

function httpV2Check(name: string, title: string, cite: string, request: (ctx: ConformContext) => ProbeRequest, expect: HttpExpectation): ConformCheck {
  return {
    id: `v2.${name}`,
    title,
    cite,
    run: async (ctx) => {
      const res = await ctx.http.send(request(ctx));
      if (notServed(res)) return skip('the target does not serve /me/rpc (404 Route not found.)');
      return judge(expect, res);
    },
  };
}

/** Dials /me/rpc as the agent and runs `body` on the dRPC client; the session is closed after. */
async function withRpc(ctx: ConformContext, key: string, body: (conn: RpcClientConnection, agentId: string) => Promise<CheckOutcome>): Promise<CheckOutcome> {
  const agent = ctx.agent(key);
  const ws = new WebSocket(ctx.url.replace(/^http/, 'ws') + `${RPC}?version=2.0`, {
    ...V2_WS_CLIENT_OPTIONS,
    headers: { 'Coder-Session-Token': agent.token },
    handshakeTimeout: ctx.waitMs,
  });
  ws.on('error', () => undefined);
  const opened = await new Promise<ProbeResponse | undefined>((resolve) => {
    ws.once('open', () => resolve(undefined));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: {}, text }));
    });
    ws.once('error', (error) => resolve({ status: 0, headers: {}, text: '', error: error.message }));
  });
  if (opened) {
    ws.terminate();
    return notServed(opened)
      ? skip('the target does not serve /me/rpc (404 Route not found.)')
      : fail('GET /me/rpc?version=2.0: 101', describeResponse(opened));
  }
  const conn = connectRpcClient(wsByteStream(ws), { keepAliveIntervalMs: 0 });
  try {
    return await body(conn, agent.id);
  } finally {
    const closed = ws.readyState === WebSocket.CLOSED ? Promise.resolve() : once(ws, 'close');
    conn.close();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, ctx.waitMs))]);
    ws.terminate();
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

const NO_TOKEN = sdkBody('Cookie "coder_session_token" must be provided.');

export const v2Group: ConformGroup = {
  name: 'v2',
  describe: '/me/rpc: auth, version negotiation, GetManifest, unknown method (protocol-v2 §1–§2, §5.1)',
  checks: [
    httpV2Check('auth-missing', '/me/rpc without a token: 401', 'protocol-v2 §1.2', () => ({ path: `${RPC}?version=2.0` }), { status: 401, body: NO_TOKEN }),
    httpV2Check(
      'auth-not-uuid',
      '/me/rpc with a token that is not a UUID: 401',
      'protocol-v2 §1.2',
      () => ({ path: `${RPC}?version=2.0`, tokens: [{ token: 'conform-not-a-uuid', place: 'header' }] }),
      {
        status: 401,
        body: sdkBody('Workspace agent token invalid.', 'An agent token must be a valid UUIDv4. (len 18)'),
      },
    ),
    httpV2Check('auth-before-version', 'a request wrong in both token and version gets the 401', 'protocol-v2 §1.2', () => ({ path: `${RPC}?version=abc` }), {
      status: 401,
      body: NO_TOKEN,
    }),
    httpV2Check(
      'version-invalid',
      'version "abc": 400 invalid version string',
      'protocol-v2 §1.3',
      (ctx) => ({ path: `${RPC}?version=abc`, tokens: [{ token: ctx.agent('v2').token, place: 'header' }] }),
      {
        status: 400,
        body: versionBody('invalid version string: abc'),
      },
    ),
    httpV2Check(
      'version-major-too-new',
      'version 3.0: 400 server is behind the requested major',
      'protocol-v2 §1.3',
      (ctx) => ({ path: `${RPC}?version=3.0`, tokens: [{ token: ctx.agent('v2').token, place: 'header' }] }),
      {
        status: 400,
        bodyMatch: new RegExp(`^${escapeRe(versionBody('server is at version 2.M, behind requested major version 3.0')).replace('2\\.M', '2\\.\\d+')}$`),
      },
    ),
    httpV2Check(
      'version-minor-too-new',
      'version 2.999: 400 server is behind the requested minor',
      'protocol-v2 §1.3',
      (ctx) => ({ path: `${RPC}?version=2.999`, tokens: [{ token: ctx.agent('v2').token, place: 'header' }] }),
      {
        status: 400,
        bodyMatch: new RegExp(`^${escapeRe(versionBody('server is at version 2.M, behind requested minor version 2.999')).replace('2\\.M', '2\\.\\d+')}$`),
      },
    ),
    {
      id: 'v2.get-manifest',
      title: 'GetManifest decodes, names this agent, and passes the Go agent\u2019s checks',
      cite: 'protocol-v2 §5.1',
      mutates: true,
      run: (ctx) =>
        withRpc(ctx, 'v2.get-manifest', async (conn, agentId) => {
          const answer = await withTimeout(
            conn.client.unary(AGENT_RPC.GetManifest.path, AGENT_RPC.GetManifest.encodeRequest({})).catch((e: Error) => e),
            ctx.waitMs,
          );
          if (answer === 'timeout' || answer instanceof Error)
            return fail('a Manifest', answer === 'timeout' ? `no answer within ${ctx.waitMs} ms` : `${answer.name}: ${answer.message}`);
          let manifest: Manifest;
          try {
            manifest = AGENT_RPC.GetManifest.decodeResponse(answer);
          } catch (error) {
            return fail('a Manifest that decodes', `undecodable (${(error as Error).message})`);
          }
          const problems = manifestProblems(manifest);
          if (problems.length > 0) return fail('a Manifest a Go agent accepts', problems.join('; '));
          return compare(`agent_id ${agentId}`, `agent_id ${manifest.agentId.length === 16 ? uuidFromBytes(manifest.agentId) : '(invalid)'}`);
        }),
    },
    {
      id: 'v2.unknown-method',
      title: 'an unknown method: dRPC error code 0, protocol error: unknown rpc',
      cite: 'protocol-v2 §2.5',
      mutates: true,
      run: (ctx) =>
        withRpc(ctx, 'v2.unknown-method', async (conn) => {
          const method = '/coder.agent.v2.Agent/ConformNoSuchMethod';
          const answer = await withTimeout(
            conn.client.unary(method, new Uint8Array()).catch((e: Error) => e),
            ctx.waitMs,
          );
          const expected = `DrpcError code 0 ${JSON.stringify(`protocol error: unknown rpc: "${method}"`)}`;
          if (answer === 'timeout') return fail(expected, `no answer within ${ctx.waitMs} ms`);
          if (!(answer instanceof DrpcError)) return fail(expected, answer instanceof Error ? `${answer.name}: ${answer.message}` : 'a response');
          return compare(expected, `DrpcError code ${answer.rawCode} ${JSON.stringify(answer.message)}`);
        }),
    },
  ],
};
