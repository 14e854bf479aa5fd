/**
 * The routing core of coderd's in-memory v2 tailnet coordinator (docs/protocol-v2.md §6.3), over
 * plain objects: no sockets, no protobuf, no timers. The dRPC `Coordinate` handler turns each
 * CoordinateRequest into `request()` calls and drains each peer's sink into CoordinateResponses.
 *
 * State: peers by id (last node, and per recipient the last node it was sent about each other
 * peer, so an identical NODE is suppressed and DISCONNECTED/LOST only go to peers that saw a
 * NODE), and tunnels src → dst indexed both ways. Tunnels whose source leaves are removed;
 * tunnels toward a destination survive the destination's reconnects.
 */

export type PeerUpdateKind = 'NODE' | 'DISCONNECTED' | 'LOST' | 'READY_FOR_HANDSHAKE';

export interface PeerUpdate<N> {
  /** The peer this update is about (UUID text, lower case). */
  id: string;
  kind: PeerUpdateKind;
  /** Only on NODE. */
  node?: N;
  reason: string;
}

/** One CoordinateResponse. */
export interface CoordinateResponse<N> {
  peerUpdates: PeerUpdate<N>[];
  /** Set only for a refused ready_for_handshake (the peer stays connected). */
  error?: string;
  /**
   * The session layer's encoding of this response. The core hands one response object to every
   * recipient of an update, so keeping the bytes here encodes it once; the core never reads it.
   */
  encoded?: Uint8Array;
}

/** Who is coordinating: the agent itself (`/me/rpc`) or a client of one agent (`/{id}/coordinate`). */
export type CoordinateeAuth = { kind: 'agent'; agentId: string } | { kind: 'client'; agentId: string };

/** One CoordinateRequest, decoded; several parts may be set (handled in this field order). */
export interface CoordinateRequest<N> {
  /** `node` absent = `update_self node is required`. */
  updateSelf?: { node?: N };
  addTunnel?: string;
  removeTunnel?: string;
  disconnect?: boolean;
  /** Peer ids; `undefined` entries model nil entries (`ready_for_handshake entries must not be nil`). */
  readyForHandshake?: (string | undefined)[];
}

export type RequestResult = 'ok' | 'refused' | 'gone';

/** Where the coordinator puts one peer's responses. */
export interface PeerSink<N> {
  /** Queues one response; false when the peer's queue is full (the peer is then dropped). */
  send(response: CoordinateResponse<N>): boolean;
  /** The coordinator is done with this peer: the server ends the stream (dRPC Close). */
  close(): void;
}

export interface CoreOptions<N> {
  /** Whether two nodes are the same (proto.Equal). */
  equal(a: N, b: N): boolean;
  /** coderd's CoordinateeAuth.Authorize: an error text refuses the request, undefined allows it. */
  authorize?(auth: CoordinateeAuth, request: CoordinateRequest<N>): string | undefined;
  /** Called when a peer is dropped for a refused request (for logs and counters). */
  onRefused?(peerId: string, reason: string): void;
}

/** A registered Coordinate stream. */
export interface PeerLink<N> {
  readonly id: string;
  /**
   * Handles one request: `ok`, `refused` (the peer was dropped as LOST, stream closed) or `gone`
   * (it disconnected with this request, or it is no longer the registered peer).
   */
  request(request: CoordinateRequest<N>): RequestResult;
  /** The stream ended without `disconnect`: partners get LOST (only if this link is still current). */
  end(): void;
  /** This link is the registered peer for its id. */
  readonly current: boolean;
}

interface Peer<N> {
  id: string;
  auth: CoordinateeAuth;
  sink: PeerSink<N>;
  node: N | undefined;
  /** Last node sent to this peer about each other peer. */
  sent: Map<string, N>;
}

export class TailnetCore<N> {
  private readonly peers = new Map<string, Peer<N>>();
  private readonly bySrc = new Map<string, Set<string>>();
  private readonly byDst = new Map<string, Set<string>>();
  /** Recipients whose queue was full, removed once the current operation is done. */
  private readonly failed = new Set<Peer<N>>();
  private closed = false;

  constructor(private readonly opts: CoreOptions<N>) {}

  get size(): number {
    return this.peers.size;
  }

  /** The node a connected peer last sent. */
  node(id: string): N | undefined {
    return this.peers.get(id)?.node;
  }

  /**
   * Registers a Coordinate stream. A peer with the same id is replaced: its stream is closed and
   * its partners hear nothing. The new peer gets one batched NODE response (`init`) with every
   * tunnel partner that has a node.
   */
  connect(id: string, auth: CoordinateeAuth, sink: PeerSink<N>): PeerLink<N> {
    const peer: Peer<N> = { id, auth, sink, node: undefined, sent: new Map() };
    if (this.closed) {
      sink.close();
      return this.link(peer);
    }
    const old = this.peers.get(id);
    this.peers.set(id, peer);
    if (old) old.sink.close();
    const updates: PeerUpdate<N>[] = [];
    for (const other of this.partners(id)) {
      const partner = this.peers.get(other);
      if (!partner || partner.node === undefined) continue;
      peer.sent.set(other, partner.node);
      updates.push({ id: other, kind: 'NODE', node: partner.node, reason: 'init' });
    }
    if (updates.length > 0) this.deliver(peer, { peerUpdates: updates });
    this.settle();
    return this.link(peer);
  }

  /** Coordinator shutdown: every peer is removed as LOST (`coordinator close`) and closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of [...this.peers.values()]) if (this.peers.get(peer.id) === peer) this.remove(peer, 'LOST', 'coordinator close', true);
    this.settle();
  }

  private link(peer: Peer<N>): PeerLink<N> {
    const core = this;
    return {
      id: peer.id,
      get current() {
        return core.peers.get(peer.id) === peer;
      },
      request: (request) => this.handle(peer, request),
      end: () => {
        if (this.peers.get(peer.id) !== peer) return;
        this.remove(peer, 'LOST', 'lost', false);
        this.settle();
      },
    };
  }

  private handle(peer: Peer<N>, req: CoordinateRequest<N>): RequestResult {
    if (this.peers.get(peer.id) !== peer) return 'gone';
    const refused = this.validate(peer, req);
    if (refused !== undefined) {
      this.opts.onRefused?.(peer.id, refused);
      this.remove(peer, 'LOST', 'lost', true);
      this.settle();
      return 'refused';
    }
    if (req.updateSelf) this.updateSelf(peer, req.updateSelf.node as N);
    if (req.addTunnel !== undefined) this.addTunnel(peer, req.addTunnel);
    if (req.removeTunnel !== undefined) this.removeTunnel(peer, req.removeTunnel);
    if (req.disconnect) {
      this.remove(peer, 'DISCONNECTED', 'graceful disconnect', true);
      this.settle();
      return 'gone';
    }
    if (req.readyForHandshake) this.readyForHandshake(peer, req.readyForHandshake as string[]);
    this.settle();
    return this.peers.get(peer.id) === peer ? 'ok' : 'gone';
  }

  private validate(peer: Peer<N>, req: CoordinateRequest<N>): string | undefined {
    if (req.updateSelf && req.updateSelf.node === undefined) return 'update_self node is required';
    if (req.readyForHandshake?.some((id) => id === undefined)) return 'ready_for_handshake entries must not be nil';
    return this.opts.authorize?.(peer.auth, req);
  }

  /**
   * The hot path: every partner that gets the node gets the same response object, so the session
   * layer encodes it once (coordinate-wire.ts). Partners are walked in place (sources, then
   * destinations not already seen) instead of copying them into a new set per update.
   */
  private updateSelf(peer: Peer<N>, node: N): void {
    peer.node = node;
    let response: CoordinateResponse<N> | undefined;
    const sources = this.bySrc.get(peer.id);
    const dests = this.byDst.get(peer.id);
    if (sources) for (const other of sources) response = this.shareNode(other, peer, node, response);
    if (dests) for (const other of dests) if (!sources?.has(other)) response = this.shareNode(other, peer, node, response);
  }

  /** sendNode for `updateSelf`: the response is built on the first delivery and reused. */
  private shareNode(recipientId: string, about: Peer<N>, node: N, response: CoordinateResponse<N> | undefined): CoordinateResponse<N> | undefined {
    const recipient = this.peers.get(recipientId);
    if (!recipient) return response;
    const last = recipient.sent.get(about.id);
    if (last !== undefined && this.opts.equal(last, node)) return response;
    recipient.sent.set(about.id, node);
    response ??= { peerUpdates: [{ id: about.id, kind: 'NODE', node, reason: 'node update' }] };
    this.deliver(recipient, response);
    return response;
  }

  private addTunnel(src: Peer<N>, dstId: string): void {
    index(this.bySrc, src.id, dstId);
    index(this.byDst, dstId, src.id);
    const dst = this.peers.get(dstId);
    if (!dst) return;
    this.sendNode(src.id, dst, 'add tunnel');
    this.sendNode(dstId, src, 'add tunnel');
  }

  private removeTunnel(src: Peer<N>, dstId: string): void {
    if (!this.bySrc.get(src.id)?.has(dstId)) return;
    unindex(this.bySrc, src.id, dstId);
    unindex(this.byDst, dstId, src.id);
    this.sendGone(src.id, dstId, 'DISCONNECTED', 'remove tunnel');
    this.sendGone(dstId, src.id, 'DISCONNECTED', 'remove tunnel');
  }

  private readyForHandshake(peer: Peer<N>, ids: string[]): void {
    for (const id of ids) {
      if (!this.bySrc.get(peer.id)?.has(id) && !this.byDst.get(peer.id)?.has(id)) {
        this.deliver(peer, { peerUpdates: [], error: `you do not share a tunnel with "${id}"` });
        continue;
      }
      const dst = this.peers.get(id);
      if (dst) this.deliver(dst, { peerUpdates: [{ id: peer.id, kind: 'READY_FOR_HANDSHAKE', reason: '' }] });
    }
  }

  /** Removes a current peer: partners hear `kind`, its source tunnels go, its stream may be closed. */
  private remove(peer: Peer<N>, kind: 'DISCONNECTED' | 'LOST', reason: string, closeStream: boolean): void {
    if (this.peers.get(peer.id) !== peer) return;
    const partners = this.partners(peer.id);
    this.peers.delete(peer.id);
    this.failed.delete(peer);
    for (const other of partners) this.sendGone(other, peer.id, kind, reason);
    for (const dst of this.bySrc.get(peer.id) ?? []) unindex(this.byDst, dst, peer.id);
    this.bySrc.delete(peer.id);
    if (closeStream) peer.sink.close();
  }

  private sendNode(recipientId: string, about: Peer<N>, reason: string): void {
    const recipient = this.peers.get(recipientId);
    const node = about.node;
    if (!recipient || node === undefined) return;
    const last = recipient.sent.get(about.id);
    if (last !== undefined && this.opts.equal(last, node)) return;
    recipient.sent.set(about.id, node);
    this.deliver(recipient, { peerUpdates: [{ id: about.id, kind: 'NODE', node, reason }] });
  }

  private sendGone(recipientId: string, aboutId: string, kind: 'DISCONNECTED' | 'LOST', reason: string): void {
    const recipient = this.peers.get(recipientId);
    if (!recipient?.sent.delete(aboutId)) return;
    this.deliver(recipient, { peerUpdates: [{ id: aboutId, kind, reason }] });
  }

  private deliver(recipient: Peer<N>, response: CoordinateResponse<N>): void {
    if (this.failed.has(recipient)) return;
    if (!recipient.sink.send(response)) this.failed.add(recipient);
  }

  /** Drops recipients whose queue overflowed (each removal may overflow others; bounded by peer count). */
  private settle(): void {
    while (this.failed.size > 0) {
      const peer = this.failed.values().next().value as Peer<N>;
      this.failed.delete(peer);
      this.remove(peer, 'DISCONNECTED', 'failed update', true);
    }
  }

  /** Peers sharing a tunnel with `id`, in either direction. */
  private partners(id: string): Set<string> {
    const out = new Set<string>(this.bySrc.get(id));
    for (const src of this.byDst.get(id) ?? []) out.add(src);
    return out;
  }
}

function index(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function unindex(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
