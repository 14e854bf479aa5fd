import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrpcClientStream } from '../../../src/protocol/v2/drpc-client.js';
import {
  CoordinateRequestSchema,
  CoordinateResponse_PeerUpdate_Kind as Kind,
  CoordinateResponseSchema,
  DERPMapSchema,
  StreamDERPMapsRequestSchema,
  type CoordinateResponse,
} from '../../../src/protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { agentAddresses } from '../../../src/server/v2/coordinatee-auth.js';
import { uuidFromBytes, uuidToBytes } from '../../../src/server/v2/go-format.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startReferenceServer } from '../../helpers/loopback.js';
import { AGENTS, call, ME } from '../helpers.js';
import { closeClient, mustDial, type V2Client } from './helpers.js';

const COORDINATE = '/coder.tailnet.v2.Tailnet/Coordinate';

/** A Coordinate stream with its received updates collected. */
class Coord {
  readonly updates: { id: string; kind: Kind; key: string; reason: string }[] = [];
  readonly errors: string[] = [];
  ended = false;
  readonly stream: DrpcClientStream;
  constructor(client: V2Client) {
    this.stream = client.client.bidi(COORDINATE);
    this.stream.listen({
      onMessage: (bytes) => {
        const res: CoordinateResponse = fromBinary(CoordinateResponseSchema, bytes);
        if (res.error) this.errors.push(res.error);
        for (const u of res.peerUpdates) {
          const id = uuidFromBytes(u.id);
          this.updates.push({ id: id.ok ? id.uuid : '?', kind: u.kind, key: Buffer.from(u.node?.key ?? []).toString('hex'), reason: u.reason });
        }
      },
      onEnd: () => {
        this.ended = true;
      },
    });
  }
  send(req: MessageInitShape<typeof CoordinateRequestSchema>): Promise<void> {
    return this.stream.send(toBinary(CoordinateRequestSchema, create(CoordinateRequestSchema, req)));
  }
}

const key = (byte: number): Uint8Array => Uint8Array.from([0x6e, 0x70, ...new Array(32).fill(byte)]);

describe('v2 tailnet coordinator over loopback (docs/protocol-v2.md §6)', () => {
  let server: ReferenceServer;
  const clock = manualClock();
  beforeAll(async () => {
    server = await startReferenceServer({ clock, heartbeatMs: 60_000 });
  });
  afterAll(() => server.close());

  it('exchanges nodes between a v2 peer and a v2 agent, with READY_FOR_HANDSHAKE and LOST', async () => {
    const agent = server.credentials.agents[0]!;
    const agentConn = await mustDial(server.url, `${ME}/rpc?version=2.0`, agent.token);
    const peerConn = await mustDial(server.url, `${AGENTS}/${agent.id}/coordinate?version=2.0`, server.credentials.userToken);
    try {
      const agentSide = new Coord(agentConn);
      await agentSide.send({
        updateSelf: {
          node: { id: 1n, key: key(0xaa), addresses: [`${agentAddresses(agent.id)[0]}/128`], preferredDerp: 999, derpLatency: { '999-v4': 0.012 } },
        },
      });
      await eventually(() => server.counters().agents[agent.id]?.v2.nodeUpdates === 1, 'agent node stored');

      const peer = new Coord(peerConn);
      await peer.send({ addTunnel: { id: uuidToBytes(agent.id) } });
      await eventually(() => peer.updates.length === 1, "peer gets the agent's node");
      expect(peer.updates[0]).toEqual({ id: agent.id, kind: Kind.NODE, key: Buffer.from(key(0xaa)).toString('hex'), reason: 'add tunnel' });

      await peer.send({ updateSelf: { node: { id: 2n, key: key(0xbb), addresses: ['fd7a:115c:a1e0::1234/128'] } } });
      await eventually(() => agentSide.updates.length === 1, "agent gets the peer's node");
      const peerId = agentSide.updates[0]!.id;
      expect(agentSide.updates[0]).toMatchObject({ kind: Kind.NODE, key: Buffer.from(key(0xbb)).toString('hex'), reason: 'node update' });

      // The agent answers every NODE with ready_for_handshake; the peer hears it.
      await agentSide.send({ readyForHandshake: [{ id: uuidToBytes(peerId) }] });
      await eventually(() => peer.updates.length === 2, 'ready for handshake');
      expect(peer.updates[1]).toMatchObject({ id: agent.id, kind: Kind.READY_FOR_HANDSHAKE });

      // A DERP map is pushed at once on StreamDERPMaps.
      const derp = agentConn.client.serverStream(
        '/coder.tailnet.v2.Tailnet/StreamDERPMaps',
        toBinary(StreamDERPMapsRequestSchema, create(StreamDERPMapsRequestSchema)),
      );
      const map = fromBinary(DERPMapSchema, (await derp.recv())!);
      expect(map.homeParams).toBeDefined();
      expect(Object.keys(map.regions)).toEqual(['999']);
      derp.cancel();

      // GET /{id} renders latency from the v2 node, as from a v1 node.
      const view = JSON.parse((await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).text);
      expect(view.latency).toEqual({ 'Coder Embedded Relay': { preferred: true, latency_ms: 12 } });

      // The agent dropping its socket makes it LOST for the peer.
      agentConn.ws.terminate();
      await eventually(() => peer.updates.length === 3, 'lost');
      expect(peer.updates[2]).toMatchObject({ id: agent.id, kind: Kind.LOST, reason: 'lost' });
      expect(server.counters().agents[agent.id]!.v2).toMatchObject({ calls: { Coordinate: 1, StreamDERPMaps: 1 }, nodeUpdates: 1, peerUpdatesSent: 1 });

      // A peer with a tunnel to another agent is refused and dropped (its stream ends).
      const other = server.credentials.agents[1]!;
      const bad = new Coord(peerConn);
      await bad.send({ addTunnel: { id: uuidToBytes(other.id) } });
      await eventually(() => bad.ended, 'refused peer dropped');
    } finally {
      await closeClient(peerConn);
      await closeClient(agentConn);
    }
  });

  it('derives the agent status from the v2 session: connected, then disconnected when the socket drops (protocol-v2 §5.11)', async () => {
    const agent = server.credentials.agents[2]!;
    const status = async (): Promise<string> => JSON.parse((await call(server, `${AGENTS}/${agent.id}`, { token: server.credentials.userToken })).text).status;
    expect(await status()).toBe('connecting');
    const conn = await mustDial(server.url, `${ME}/rpc?version=2.0`, agent.token);
    await eventually(() => server.counters().agents[agent.id]?.v2.connected === true, 'session registered');
    expect(await status()).toBe('connected');
    clock.advance(1);
    conn.ws.terminate();
    await eventually(() => server.counters().agents[agent.id]!.v2.rpcClosed === 1, 'session end');
    clock.advance(1);
    expect(await status()).toBe('disconnected');
    expect(server.counters().totals.v2.agentsConnected).toBe(0);
  });
});
