import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRng } from '../../src/core/rng.js';
import type { CredentialAgent } from '../../src/protocol/credentials.js';
import { encodeNode } from '../../src/protocol/node-codec.js';
import { createAgentNode, createClientNode } from '../../src/protocol/node-factory.js';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { AGENTS, call, ME } from './helpers.js';
import { startReferenceServer } from '../helpers/loopback.js';
import { eventually } from '../helpers/eventually.js';

let server: ReferenceServer;
let agent: CredentialAgent;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  server = await startReferenceServer({ agents: 2 });
  agent = server.credentials.agents[0]!;
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
});

const wsUrl = (path: string) => `${server.url.replace('http', 'ws')}${path}`;

function open(path: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(path), { headers, perMessageDeflate: false });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The HTTP answer to an upgrade the server refuses. */
function refused(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(wsUrl(path), { headers });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('open', () => reject(new Error('unexpectedly upgraded')));
    ws.once('error', () => undefined);
  });
}

const nextMessage = (ws: WebSocket) => new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));

describe('agent and client coordinate (§5.10, §5.13, §7)', () => {
  it('refuses before the upgrade with plain HTTP JSON errors', async () => {
    const noToken = await refused(`${ME}/coordinate`, {});
    expect(noToken.status).toBe(401);
    expect(noToken.body).toBe('{"message":"Cookie \\"coder_session_token\\" must be provided."}\n');
    const badUser = await refused(`${AGENTS}/${agent.id}/coordinate`, { 'Coder-Session-Token': agent.token });
    expect(badUser.status).toBe(401);
    const unknown = await refused(`${AGENTS}/00000000-0000-4000-8000-000000000000/coordinate`, { 'Coder-Session-Token': server.credentials.userToken });
    expect(unknown.status).toBe(404);
  });

  it('answers a plain GET with 426 and a foreign Origin with 403 (nhooyr texts)', async () => {
    const plain = await call(server, `${ME}/coordinate`, { token: agent.token });
    expect(plain.status).toBe(426);
    expect(plain.text).toBe('WebSocket protocol violation: Connection header "keep-alive" does not contain Upgrade\n');
    expect(plain.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const origin = await refused(`${ME}/coordinate`, { 'Coder-Session-Token': agent.token, Origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    expect(origin.body).toBe(`request Origin "http://evil.example" is not authorized for Host "${new URL(server.url).host}"\n`);
  });

  it('puts the build version and rate-limit headers on the 101 answer', async () => {
    const limited = await startReferenceServer({ agents: 1, rateLimit: 10, buildVersion: 'v1.2.3-x' });
    try {
      const ws = new WebSocket(`${limited.url.replace('http', 'ws')}${ME}/coordinate`, {
        headers: { 'Coder-Session-Token': limited.credentials.agents[0]!.token },
      });
      sockets.push(ws);
      const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
        ws.once('upgrade', (res) => resolve(res.headers));
        ws.once('error', reject);
      });
      expect(headers['x-coder-build-version']).toBe('v1.2.3-x');
      expect(headers['x-ratelimit-limit']).toBe('10');
      expect(headers['x-ratelimit-remaining']).toBe('9');
      await new Promise((resolve) => (ws.readyState === WebSocket.OPEN ? resolve(undefined) : ws.once('open', resolve)));
    } finally {
      await limited.close();
    }
  });

  it('relays nodes between an agent and a client, and counts sockets', async () => {
    const client = await open(`${AGENTS}/${agent.id}/coordinate`, { Cookie: `coder_session_token=${server.credentials.userToken}` });
    const agentWs = await open(`${ME}/coordinate`, { Cookie: `coder_session_token=${agent.token}` });
    const agentNode = createAgentNode(createRng('a'));
    const toClient = nextMessage(client);
    agentWs.send(Buffer.from(encodeNode(agentNode)), { binary: true });
    expect(JSON.parse((await toClient).toString())[0].key).toBe(agentNode.key);
    const clientNode = createClientNode(createRng('c'));
    const toAgent = nextMessage(agentWs);
    client.send(Buffer.from(encodeNode(clientNode)), { binary: true });
    expect(JSON.parse((await toAgent).toString())[0].key).toBe(clientNode.key);
    const c = server.counters();
    expect(c.totals).toMatchObject({ coordinateOpened: 1, clientCoordinateOpened: 1, agentsConnected: 1 });
    expect(server.dropAgentSockets(1)).toBe(1);
    await eventually(() => server.counters().totals.coordinateClosed === 1, 'drop');
    expect(server.counters().totals.agentsConnected).toBe(0);
    client.close();
    await eventually(() => server.counters().totals.clientCoordinateClosed === 1, 'client close');
  });

  it('closes every socket on server close', async () => {
    const agentWs = await open(`${ME}/coordinate`, { 'Coder-Session-Token': agent.token });
    const gone = new Promise<number>((resolve) => agentWs.once('close', (code) => resolve(code)));
    await server.close();
    expect([1000, 1006]).toContain(await gone);
  });
});

describe('GET /{id}/pty (§5.15)', () => {
  const user = () => ({ 'Coder-Session-Token': server.credentials.userToken });
  const rid = '7b3f3c5e-0a43-4a8e-9d2c-1c7f0f4d2b11';

  it('checks status before the reconnect parameter', async () => {
    const notConnected = await refused(`${AGENTS}/${agent.id}/pty?reconnect=bad`, user());
    expect(notConnected.status).toBe(400);
    expect(notConnected.body).toBe('{"message":"Agent state is \\"connecting\\", it must be in the \\"connected\\" state."}\n');
  });

  it('400 for a bad reconnect id once connected, then attaches a PTY', async () => {
    await open(`${ME}/coordinate`, { 'Coder-Session-Token': agent.token });
    const bad = await refused(`${AGENTS}/${agent.id}/pty?reconnect=nope`, user());
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('{"message":"Query param \'reconnect\' must be a valid UUID.","validations":[{"field":"reconnect","detail":"invalid UUID"}]}\n');
    const pty = await open(`${AGENTS}/${agent.id}/pty?reconnect=${rid}&height=24&width=x`, user());
    const output = nextMessage(pty);
    pty.send(Buffer.from(JSON.stringify({ data: 'echo hi\r' })), { binary: true });
    expect((await output).length).toBeGreaterThan(0);
    expect(server.counters().totals.ptyOpened).toBe(1);
  });
});
