import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRng } from '../../src/core/rng.js';
import type { CredentialAgent } from '../../src/protocol/credentials.js';
import { formatGoTime } from '../../src/protocol/go-time.js';
import { encodeNode } from '../../src/protocol/node-codec.js';
import { createAgentNode } from '../../src/protocol/node-factory.js';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { AGENTS, call, ME } from './helpers.js';
import { manualClock, type ManualClock } from '../helpers/clock.js';
import { startReferenceServer } from '../helpers/loopback.js';
import { eventually } from '../helpers/eventually.js';

let server: ReferenceServer;
let clock: ManualClock;
let agent: CredentialAgent;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  clock = manualClock();
  // Heartbeat far away: the manual clock alone decides the status.
  server = await startReferenceServer({ agents: 8, clock, heartbeatMs: 3_600_000, inactiveMs: 6_000 });
  agent = server.credentials.agents[0]!;
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
});

const view = async (id = agent.id) => {
  const r = await call(server, `${AGENTS}/${id}`, { token: server.credentials.userToken });
  expect(r.status).toBe(200);
  return { text: r.text, body: JSON.parse(r.text) };
};

function openAgentSocket(token = agent.token): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${ME}/coordinate`, { headers: { Cookie: `coder_session_token=${token}` } });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())));

describe('GET /{id} (§6)', () => {
  it('renders the WorkspaceAgent in Go field order with omitempty', async () => {
    const { body, text } = await view();
    const keys = Object.keys(body);
    expect(keys[0]).toBe('id');
    const order = [
      'id',
      'created_at',
      'updated_at',
      'status',
      'lifecycle_state',
      'name',
      'resource_id',
      'instance_id',
      'architecture',
      'environment_variables',
      'operating_system',
      'version',
      'apps',
      'connection_timeout_seconds',
      'troubleshooting_url',
      'login_before_ready',
      'startup_script_timeout_seconds',
    ];
    expect(keys.filter((k) => order.includes(k))).toEqual(order);
    for (const absent of ['first_connected_at', 'last_connected_at', 'disconnected_at', 'latency']) expect(keys).not.toContain(absent);
    expect(body.status).toBe('connecting');
    expect(body.lifecycle_state).toBe('created');
    expect(body.version).toBe('');
    expect(body.created_at).toBe(formatGoTime(clock.wallNow()));
    expect(Array.isArray(body.apps)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('goes connecting → timeout when never connected past connection_timeout_seconds', async () => {
    const { body } = await view();
    clock.advance(body.connection_timeout_seconds * 1000 + 1);
    expect((await view()).body.status).toBe('timeout');
  });

  it('goes connecting → connected → disconnected (inactive) → disconnected (closed)', async () => {
    const ws = await openAgentSocket();
    const connectedAt = formatGoTime(clock.wallNow());
    await eventually(async () => (await view()).body.status === 'connected', 'connected');
    let { body } = await view();
    expect(body.first_connected_at).toBe(connectedAt);
    expect(body.last_connected_at).toBe(connectedAt);
    expect(body.disconnected_at).toBeUndefined();
    expect(server.counters().totals.agentsConnected).toBe(1);

    clock.advance(6_001); // no heartbeat for longer than the inactive threshold
    body = (await view()).body;
    expect(body.status).toBe('disconnected');
    expect(body.disconnected_at).toBe(connectedAt); // rule 3: replaced by last_connected_at

    ws.close();
    await eventually(() => server.counters().totals.coordinateClosed === 1, 'close seen');
    body = (await view()).body;
    expect(body.status).toBe('disconnected');
    expect(body.disconnected_at).toBe(formatGoTime(clock.wallNow()));
    const c = server.counters();
    expect(c.agents[agent.id]).toMatchObject({ coordinateOpened: 1, coordinateClosed: 1, connected: false });
    expect(c.totals.agentsConnected).toBe(0);
  });

  it('shows latency from the agent node: region name, ms, preferred', async () => {
    const ws = await openAgentSocket();
    const node = createAgentNode(createRng('lat'), { preferredDerp: 999 });
    node.derp_latency = { '999-v4': 0.0123, '1-v6': 0.5 };
    ws.send(Buffer.from(encodeNode(node)), { binary: true });
    await eventually(async () => (await view()).body.latency !== undefined, 'latency');
    const { body } = await view();
    expect(body.latency).toEqual({
      'Coder Embedded Relay': { preferred: true, latency_ms: 12.3 },
      'Unnamed 1': { preferred: false, latency_ms: 500 },
    });
    expect(Object.keys(body.latency['Coder Embedded Relay'])).toEqual(['preferred', 'latency_ms']);
    ws.close();
    await eventually(async () => (await view()).body.latency === undefined, 'latency gone after disconnect');
  });

  it('500s on a DERP latency key with a non-integer region', async () => {
    const ws = await openAgentSocket();
    const node = createAgentNode(createRng('bad'));
    node.derp_latency = { 'abc-v4': 0.01 };
    ws.send(Buffer.from(encodeNode(node)), { binary: true });
    await eventually(async () => (await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).status === 500, '500');
    const r = await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken });
    expect(JSON.parse(r.text)).toEqual({
      message: 'Internal error reading workspace agent.',
      detail: 'convert derp region id "abc-v4": strconv.Atoi: parsing "abc": invalid syntax',
    });
  });

  it('copies the reconnect flicker: the replaced socket makes the agent read disconnected until the next heartbeat', async () => {
    const first = await openAgentSocket();
    await eventually(async () => (await view()).body.status === 'connected', 'connected');
    clock.advance(1_000);
    await openAgentSocket();
    await closed(first); // the coordinator closes the old socket with 1000
    await eventually(() => server.counters().totals.coordinateClosed === 1, 'old handler exit');
    expect((await view()).body.status).toBe('disconnected');
    expect(server.counters().totals.agentsConnected).toBe(1);
  });
});

describe('heartbeat with real timers', () => {
  it('bumps last_connected_at and updated_at every heartbeat while the socket is open', async () => {
    const fast = await startReferenceServer({ agents: 1, heartbeatMs: 20, inactiveMs: 1_000 });
    const a = fast.credentials.agents[0]!;
    const ws = new WebSocket(`${fast.url.replace('http', 'ws')}${ME}/coordinate`, { headers: { 'Coder-Session-Token': a.token } });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const read = async () => JSON.parse((await call(fast, `${AGENTS}/${a.id}`, { token: fast.credentials.userToken })).text);
      const first = await read();
      await eventually(async () => (await read()).last_connected_at !== first.last_connected_at, 'a heartbeat');
      const later = await read();
      expect(later.status).toBe('connected');
      expect(later.updated_at).toBe(later.last_connected_at);
      expect(later.first_connected_at).toBe(first.first_connected_at);
    } finally {
      ws.terminate();
      await fast.close();
    }
  });
});

describe('reconnect race with real timers', () => {
  it("reads connected again after the new socket's next heartbeat", async () => {
    const fast = await startReferenceServer({ agents: 1, heartbeatMs: 30, inactiveMs: 5_000 });
    const a = fast.credentials.agents[0]!;
    const dial = () => {
      const ws = new WebSocket(`${fast.url.replace('http', 'ws')}${ME}/coordinate`, { headers: { 'Coder-Session-Token': a.token } });
      sockets.push(ws);
      return new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject));
    };
    const status = async () => JSON.parse((await call(fast, `${AGENTS}/${a.id}`, { token: fast.credentials.userToken })).text).status;
    try {
      const first = await dial();
      await dial();
      await closed(first);
      await eventually(() => fast.counters().totals.coordinateClosed === 1, 'old handler exit');
      await eventually(async () => (await status()) === 'connected', 'connected after the next heartbeat');
      expect(fast.counters().agents[a.id]).toMatchObject({ coordinateOpened: 2, coordinateClosed: 1, connected: true });
    } finally {
      await fast.close();
    }
  });
});

describe('GET /{id}/connection and /{id}/listening-ports (§5.12, §5.14)', () => {
  it('returns the DERP map', async () => {
    const r = await call(server, `${AGENTS}/${agent.id}/connection`, { token: server.credentials.userToken });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(Object.keys(body)).toEqual(['derp_map']);
    expect(body.derp_map.Regions['999'].RegionCode).toBe('coder');
  });

  it('400 unless connected, then the filtered fixture ports', async () => {
    const path = `${AGENTS}/${agent.id}/listening-ports`;
    const before = await call(server, path, { token: server.credentials.userToken });
    expect(before.status).toBe(400);
    expect(before.text).toBe('{"message":"Agent state is \\"connecting\\", it must be in the \\"connected\\" state."}\n');
    await openAgentSocket();
    await eventually(async () => (await view()).body.status === 'connected', 'connected');
    const after = await call(server, path, { token: server.credentials.userToken });
    expect(after.status).toBe(200);
    const { ports } = JSON.parse(after.text);
    const meta = JSON.parse((await call(server, `${ME}/metadata`, { token: agent.token })).text);
    const appPorts = meta.apps.map((a: { url: string }) => Number(a.url.split(':').at(-1)));
    for (const p of ports) {
      expect(Object.keys(p)).toEqual(['process_name', 'network', 'port']);
      expect([22, 5432]).not.toContain(p.port);
      expect(appPorts).not.toContain(p.port);
    }
  });
});
