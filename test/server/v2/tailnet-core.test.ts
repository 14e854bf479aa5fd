import { describe, expect, it } from 'vitest';
import { agentAddresses, authorizeCoordinate } from '../../../src/server/v2/coordinatee-auth.js';
import { TailnetCore, type CoordinateResponse, type PeerSink } from '../../../src/server/v2/tailnet-core.js';

interface TestNode {
  key: string;
  addresses: string[];
}

const AGENT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const CLIENT2 = 'aaaaaaaa-bbbb-cccc-dddd-ffffffffffff';
const agentAddr = `${agentAddresses(AGENT)[0]}/128`;

class Sink implements PeerSink<TestNode> {
  readonly got: CoordinateResponse<TestNode>[] = [];
  closed = false;
  constructor(private readonly capacity = Infinity) {}
  send(r: CoordinateResponse<TestNode>): boolean {
    if (this.got.length >= this.capacity) return false;
    this.got.push(r);
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** Flattened updates as `kind id reason`. */
  lines(): string[] {
    return this.got.flatMap((r) =>
      r.error ? [`error ${r.error}`] : r.peerUpdates.map((u) => `${u.kind} ${u.id} ${u.reason}${u.node ? ` ${u.node.key}` : ''}`),
    );
  }
}

function core(refused: string[] = []): TailnetCore<TestNode> {
  return new TailnetCore<TestNode>({
    equal: (a, b) => a.key === b.key && a.addresses.join() === b.addresses.join(),
    authorize: authorizeCoordinate,
    onRefused: (_id, reason) => refused.push(reason),
  });
}

const node = (key: string, addresses: string[] = []): TestNode => ({ key, addresses });

describe('TailnetCore (coordinator routing, docs/protocol-v2.md §6.3)', () => {
  it('exchanges nodes between a client and an agent, with ready-for-handshake', () => {
    const c = core();
    const agentSink = new Sink();
    const clientSink = new Sink();
    const agent = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    expect(agent.request({ updateSelf: { node: node('a1', [agentAddr]) } })).toBe('ok');
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, clientSink);
    expect(client.request({ addTunnel: AGENT })).toBe('ok');
    expect(clientSink.lines()).toEqual([`NODE ${AGENT} add tunnel a1`]);
    expect(agentSink.lines()).toEqual([]); // the client has no node yet
    client.request({ updateSelf: { node: node('c1', ['fd7a:115c:a1e0::1/128']) } });
    expect(agentSink.lines()).toEqual([`NODE ${CLIENT} node update c1`]);
    agent.request({ readyForHandshake: [CLIENT] });
    expect(clientSink.lines().at(-1)).toBe(`READY_FOR_HANDSHAKE ${AGENT} `);
    // Identical node again: suppressed; a changed one goes out.
    agent.request({ updateSelf: { node: node('a1', [agentAddr]) } });
    agent.request({ updateSelf: { node: node('a2', [agentAddr]) } });
    expect(clientSink.lines().slice(2)).toEqual([`NODE ${AGENT} node update a2`]);
  });

  it('sends init nodes to a peer that connects after the tunnel exists, and LOST / DISCONNECTED on leave', () => {
    const c = core();
    const clientSink = new Sink();
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, clientSink);
    client.request({ addTunnel: AGENT, updateSelf: { node: node('c1') } });
    const agentSink = new Sink();
    const agent = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    expect(agentSink.lines()).toEqual([`NODE ${CLIENT} init c1`]);
    agent.request({ updateSelf: { node: node('a1', [agentAddr]) } });
    expect(clientSink.lines()).toEqual([`NODE ${AGENT} node update a1`]);
    agent.end();
    expect(clientSink.lines().at(-1)).toBe(`LOST ${AGENT} lost`);
    // The tunnel toward the agent survives its reconnect.
    const again = new Sink();
    const agent2 = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, again);
    expect(again.lines()).toEqual([`NODE ${CLIENT} init c1`]);
    agent2.request({ updateSelf: { node: node('a3', [agentAddr]) } });
    expect(clientSink.lines().at(-1)).toBe(`NODE ${AGENT} node update a3`);
    expect(client.request({ disconnect: true })).toBe('gone');
    expect(clientSink.closed).toBe(true);
    expect(again.lines().at(-1)).toBe(`DISCONNECTED ${CLIENT} graceful disconnect`);
    expect(c.size).toBe(1);
  });

  it('only tells peers that saw a NODE about a departure', () => {
    const c = core();
    const agentSink = new Sink();
    c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, new Sink());
    client.request({ addTunnel: AGENT }); // no node ever sent
    client.end();
    expect(agentSink.lines()).toEqual([]);
  });

  it('replacing a peer closes the old stream silently', () => {
    const c = core();
    const clientSink = new Sink();
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, clientSink);
    client.request({ addTunnel: AGENT });
    const oldSink = new Sink();
    const old = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, oldSink);
    old.request({ updateSelf: { node: node('a1', [agentAddr]) } });
    const fresh = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, new Sink());
    expect(oldSink.closed).toBe(true);
    expect(old.current).toBe(false);
    old.end();
    expect(fresh.current).toBe(true);
    expect(clientSink.lines()).toEqual([`NODE ${AGENT} node update a1`]);
  });

  it('refuses what coderd refuses: the peer is dropped as LOST and its stream closed', () => {
    const refused: string[] = [];
    const c = core(refused);
    const clientSink = new Sink();
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, clientSink);
    client.request({ addTunnel: AGENT });
    const agentSink = new Sink();
    const agent = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    agent.request({ updateSelf: { node: node('a1', [agentAddr]) } });
    expect(agent.request({ updateSelf: { node: node('a2', ['fd7a:115c:a1e0::9/128']) } })).toBe('refused');
    expect(agentSink.closed).toBe(true);
    expect(clientSink.lines().at(-1)).toBe(`LOST ${AGENT} lost`);

    const other = new Sink();
    expect(c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, other).request({ addTunnel: CLIENT })).toBe('refused');
    const rfh = new Sink();
    expect(c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, rfh).request({ readyForHandshake: [AGENT] })).toBe('refused');
    const tun = new Sink();
    expect(c.connect(AGENT, { kind: 'agent', agentId: AGENT }, tun).request({ addTunnel: CLIENT })).toBe('refused');
    const bits = new Sink();
    expect(c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, bits).request({ updateSelf: { node: node('x', ['fd7a:115c:a1e0::1/64']) } })).toBe('refused');
    const empty = new Sink();
    expect(c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, empty).request({ updateSelf: {} })).toBe('refused');
    expect(refused).toEqual([
      'invalid node address, got fd7a:115c:a1e0::9',
      `invalid agent id, expected ${AGENT}, got ${CLIENT}`,
      'clients may not send ready_for_handshake',
      'agents cannot open tunnels',
      'invalid address bits, expected 128, got 64',
      'update_self node is required',
    ]);
  });

  it('answers ready_for_handshake without a tunnel with an error and keeps the peer', () => {
    const c = core();
    const agentSink = new Sink();
    const agent = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    expect(agent.request({ readyForHandshake: [CLIENT] })).toBe('ok');
    expect(agentSink.lines()).toEqual([`error you do not share a tunnel with "${CLIENT}"`]);
    expect(agentSink.closed).toBe(false);
  });

  it('remove_tunnel sends DISCONNECTED both ways; a full queue drops the recipient', () => {
    const c = core();
    const agentSink = new Sink();
    const agent = c.connect(AGENT, { kind: 'agent', agentId: AGENT }, agentSink);
    agent.request({ updateSelf: { node: node('a1', [agentAddr]) } });
    const clientSink = new Sink();
    const client = c.connect(CLIENT, { kind: 'client', agentId: AGENT }, clientSink);
    client.request({ addTunnel: AGENT, updateSelf: { node: node('c1') } });
    client.request({ removeTunnel: AGENT });
    expect(clientSink.lines().at(-1)).toBe(`DISCONNECTED ${AGENT} remove tunnel`);
    expect(agentSink.lines().at(-1)).toBe(`DISCONNECTED ${CLIENT} remove tunnel`);

    const tiny = new Sink(1);
    const slow = c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, tiny);
    slow.request({ addTunnel: AGENT, updateSelf: { node: node('s1') } }); // fills its one slot
    agent.request({ updateSelf: { node: node('a2', [agentAddr]) } }); // overflows: dropped
    expect(tiny.closed).toBe(true);
    expect(slow.current).toBe(false);
    expect(agentSink.lines().at(-1)).toBe(`DISCONNECTED ${CLIENT2} failed update`);
  });

  it('close() marks everyone LOST and closes every stream', () => {
    const c = core();
    const a = new Sink();
    const b = new Sink();
    c.connect(AGENT, { kind: 'agent', agentId: AGENT }, a).request({ updateSelf: { node: node('a1', [agentAddr]) } });
    c.connect(CLIENT, { kind: 'client', agentId: AGENT }, b).request({ addTunnel: AGENT });
    c.close();
    expect(a.closed && b.closed).toBe(true);
    expect(b.lines().at(-1)).toBe(`LOST ${AGENT} coordinator close`);
    const late = new Sink();
    c.connect(CLIENT2, { kind: 'client', agentId: AGENT }, late);
    expect(late.closed).toBe(true);
  });
});

describe('agentAddresses', () => {
  it('derives the Tailscale-prefix and Coder-prefix addresses from the last 10 UUID bytes', () => {
    expect(agentAddresses(AGENT)).toEqual([
      'fd7a:115c:a1e0:3333:4444:5555:5555:5555',
      'fd60:627a:a42b:3333:4444:5555:5555:5555',
      'fd7a:115c:a1e0:49d6:b259:b7ac:b1b2:48f4',
    ]);
  });
});
