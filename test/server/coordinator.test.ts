import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { createAgentNode, createClientNode } from '../../src/protocol/node-factory.js';
import { decodeNodeArray, encodeNode } from '../../src/protocol/node-codec.js';
import type { TailnetNode } from '../../src/protocol/tailnet-node.js';
import { connect, startHarness, type Harness, type Peer } from '../protocol/ws-harness.js';
import { manualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';

const AGENT = '7b2f7a6e-0000-4000-8000-000000000001';
const rng = createRng('coordinator-test');
let h: Harness;
const peers: Peer[] = [];

async function open(path: string): Promise<Peer> {
  const p = await connect(`${h.url}/${path}`);
  peers.push(p);
  return p;
}

function send(p: Peer, node: TailnetNode | string): void {
  p.ws.send(Buffer.from(typeof node === 'string' ? node : encodeNode(node)));
}

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  for (const p of peers.splice(0)) p.ws.terminate();
  await h.close();
});

describe('Coordinator', () => {
  it('forwards the int64 id byte-exact from agent to client, and the client gets the latest agent node at once', async () => {
    const agent = await open(`agent/${AGENT}`);
    const node = { ...createAgentNode(rng), id: 6196346937711212345n };
    send(agent, node);
    await eventually(() => h.coordinator.agentNode(AGENT) !== undefined, 'agent node');
    expect(h.coordinator.agentNode(AGENT)?.id).toBe(6196346937711212345n);
    const client = await open(`client/${AGENT}`);
    const first = await client.next();
    expect(first).toBe(`[${encodeNode(node)}]`);
    expect(first).toContain('"id":6196346937711212345,');
    // Live updates reach the waiting client too.
    const update = { ...node, preferred_derp: 1 };
    send(agent, update);
    expect(await client.next()).toBe(`[${encodeNode(update)}]`);
  });

  it('joins a node split across 3 frames and splits two nodes packed in one frame', async () => {
    const client = await open(`client/${AGENT}`);
    const agent = await open(`agent/${AGENT}`);
    const a = createAgentNode(rng);
    const bytes = Buffer.from(encodeNode(a));
    const third = Math.floor(bytes.length / 3);
    agent.ws.send(bytes.subarray(0, third));
    agent.ws.send(bytes.subarray(third, 2 * third));
    agent.ws.send(bytes.subarray(2 * third));
    expect(await client.next()).toBe(`[${bytes.toString()}]`);
    const b = { ...a, preferred_derp: 2 };
    const c = { ...a, preferred_derp: 3 };
    agent.ws.send(Buffer.from(encodeNode(b) + '\n' + encodeNode(c)));
    expect(await client.next()).toBe(`[${encodeNode(b)}]`);
    expect(await client.next()).toBe(`[${encodeNode(c)}]`);
  });

  it('closes a socket that sends a text frame with 1003', async () => {
    const agent = await open(`agent/${AGENT}`);
    agent.ws.send(encodeNode(createAgentNode(rng)), { binary: false });
    expect(await agent.closed).toEqual({ code: 1003, reason: 'unexpected frame type read (expected MessageBinary): MessageText' });
  });

  it('closes the first agent socket with 1000 when a second one connects; the new one keeps working', async () => {
    const first = await open(`agent/${AGENT}`);
    const client = await open(`client/${AGENT}`);
    const second = await open(`agent/${AGENT}`);
    expect(await second.next()).toBe('[]'); // the waiting client has no node yet
    expect((await first.closed).code).toBe(1000);
    expect(h.coordinator.isAgentConnected(AGENT)).toBe(true);
    expect(h.coordinator.stats().overwrites).toBe(1);
    const node = createAgentNode(rng);
    send(second, node);
    expect(await client.next()).toBe(`[${encodeNode(node)}]`);
    const clientNode = createClientNode(rng);
    send(client, clientNode);
    expect(await second.next()).toBe(`[${encodeNode(clientNode)}]`);
  });

  it('gives a (re)connecting agent every waiting client node in one array', async () => {
    const c1 = await open(`client/${AGENT}`);
    const c2 = await open(`client/${AGENT}`);
    const c3 = await open(`client/${AGENT}`);
    const n1 = createClientNode(rng);
    const n2 = createClientNode(rng);
    send(c1, n1);
    send(c2, n2);
    await eventually(() => h.coordinator.stats().nodesIn === 2, 'client nodes');
    const agent = await open(`agent/${AGENT}`);
    const batch = decodeNodeArray(await agent.next());
    expect(batch.map(encodeNode).sort()).toEqual([encodeNode(n1), encodeNode(n2)].sort());
    // A client that leaves is forgotten; clients without a node are skipped.
    c1.ws.close();
    await c1.closed;
    await eventually(() => h.coordinator.stats().clients === 2, 'client removed');
    agent.ws.close();
    await agent.closed;
    await eventually(() => !h.coordinator.isAgentConnected(AGENT), 'agent gone');
    expect(h.coordinator.agentNode(AGENT)).toBeUndefined();
    // Clients are not told: their sockets stay open and receive nothing.
    expect(c2.ws.readyState).toBe(c2.ws.OPEN);
    expect(c2.queued + c3.queued).toBe(0);
    const again = await open(`agent/${AGENT}`);
    expect(await again.next()).toBe(`[${encodeNode(n2)}]`);
  });

  it('sends [] to an agent whose waiting clients have no node yet, and nothing when there are no clients', async () => {
    const lonely = await open(`agent/other`);
    const client = await open(`client/${AGENT}`);
    const agent = await open(`agent/${AGENT}`);
    expect(await agent.next()).toBe('[]');
    // The lonely agent's first message is the client node, not an empty array.
    const c = await open(`client/other`);
    const n = createClientNode(rng);
    send(c, n);
    expect(await lonely.next()).toBe(`[${encodeNode(n)}]`);
    void client;
  });

  it('re-encodes {} as Go zero values', async () => {
    const client = await open(`client/${AGENT}`);
    const agent = await open(`agent/${AGENT}`);
    send(agent, '{}');
    expect(await client.next()).toBe(
      '[{"id":0,"as_of":"0001-01-01T00:00:00Z","key":"nodekey:' +
        '0'.repeat(64) +
        '","disco":"discokey:' +
        '0'.repeat(64) +
        '","preferred_derp":0,"derp_latency":null,"addresses":null,"allowed_ips":null,"endpoints":null}]',
    );
  });

  it('closes 1011 with the decode error for an invalid node', async () => {
    const agent = await open(`agent/${AGENT}`);
    send(agent, '{"key":"nodekey:1234"}');
    expect(await agent.closed).toEqual({ code: 1011, reason: 'handle next agent message: read json: key hex has the wrong size, got 4 want 64' });
    const client = await open(`client/${AGENT}`);
    send(client, '{"id":1.5}');
    const closed = await client.closed;
    expect(closed.code).toBe(1011);
    const full = 'handle next client message: read json: json: cannot unmarshal number 1.5 into Go struct field Node.id of type tailcfg.NodeID';
    expect(closed.reason).toBe(full.slice(0, 123));
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    const syntax = await open(`client/${AGENT}`);
    send(syntax, '{"id" 1}');
    expect((await syntax.closed).reason).toBe("handle next client message: read json: invalid character '1' after object key");
  });

  it('calls the agent hooks and drops agents on request', async () => {
    const seen: bigint[] = [];
    let closes = 0;
    h.hooks.set(AGENT, { onNode: (n) => seen.push(n.id), onClose: () => closes++ });
    const agent = await open(`agent/${AGENT}`);
    send(agent, { ...createAgentNode(rng), id: 42n });
    await eventually(() => seen.length === 1, 'onNode');
    expect(seen).toEqual([42n]);
    expect(h.coordinator.dropAgents([AGENT, 'missing'])).toBe(1);
    expect((await agent.closed).code).toBe(1001);
    await eventually(() => closes === 1, 'onClose');
    expect(h.coordinator.isAgentConnected(AGENT)).toBe(false);
  });

  it('closes every socket on close() and refuses later ones with 1011', async () => {
    const agent = await open(`agent/${AGENT}`);
    const client = await open(`client/${AGENT}`);
    h.coordinator.close();
    expect((await agent.closed).code).toBe(1000);
    expect((await client.closed).code).toBe(1000);
    const late = await open(`client/${AGENT}`);
    expect(await late.closed).toEqual({ code: 1011, reason: 'coordinator is closed' });
  });

  it('pings sockets as a keepalive', async () => {
    await h.close();
    const clock = manualClock();
    h = await startHarness({ pingIntervalMs: 20, clock });
    const agent = await open(`agent/${AGENT}`);
    expect(clock.advance(20)).toBeGreaterThan(0);
    await eventually(() => agent.pings === 1, 'the first ping');
    // The next ping goes out only once the first was answered (the pong is on its way).
    await eventually(() => agent.pings >= 2, { what: 'a second ping', clock, stepMs: 20 });
  });
});
