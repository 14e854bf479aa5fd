import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';

/**
 * Accounting of tagged node updates through a coordinator (coordinator benchmarking, see the
 * README). Pure: no timers, no I/O;
 * every event carries its own wall time (epoch ms), so tests drive it with plain numbers.
 *
 * Endpoints (agents and peers) are opaque string keys. Each endpoint has at most one coordinate
 * socket at a time; every open starts a new *socket generation*.
 *
 * Rules (why: protocol §7.4, the coordinator only fans out to sockets registered at that moment):
 * - An update from sender X with `seq` sent at `t` is a *candidate* at receiver socket S iff S was
 *   open at `t`. Only candidates can be *delivered*: a node that reaches a socket opened after it
 *   was sent is the connect-time snapshot ("latest node"), not a tagged delivery.
 * - Delivered = the first arrival of a candidate on its socket (there is only one socket per
 *   receiver at a time, so this is also the first arrival per receiver). Its latency is
 *   `receivedAt - sentAt` and is recorded as METRIC.coordPropagation.
 * - Duplicate = the same (X, seq) arriving again on the same socket. A re-arrival on a later socket
 *   of the same receiver is a snapshot and is ignored.
 * - Stale (out of order) = an arrival on S whose seq is lower than the highest seq already seen
 *   from X on S. A late first arrival of a candidate counts as delivered *and* stale.
 * - Lost = a candidate that never arrived although it was *expected*: it had a full drain window
 *   before finalise (`t + drainWindow <= end`), and the receiver socket and the sender's socket
 *   both stayed open from `t` until `t + drainWindow`. A socket that closed in between may
 *   legitimately miss it (the coordinator drops a closing socket's registration, a dropped sender
 *   may not have been read; a reconnecting receiver gets only the latest node).
 * - Snapshot excuse: the coordinator registers a socket slightly after the client sees it open, and
 *   whatever the sender published in that gap is collapsed into the connect-time snapshot. So
 *   candidates with a seq lower than the *first* node that socket received from X are not lost.
 *
 * Senders must use sequence numbers that are unique and increasing for the whole run, across
 * reconnects (the fake fleet and the peers do).
 */
export type Direction = 'agent_to_peer' | 'peer_to_agent';
const DIRECTIONS: readonly Direction[] = ['agent_to_peer', 'peer_to_agent'];

export interface DirectionTotals {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

/** How an arrival was classified (returned for tests and tools). */
export type ArrivalKind = 'delivered' | 'delivered_stale' | 'duplicate' | 'stale' | 'snapshot' | 'ignored';

interface Socket {
  gen: number;
  openAt: number;
  /** Already registered with the coordinator when the ledger learnt of it: no snapshot excuse. */
  established: boolean;
  closedAt?: number;
  /** Per sender key: what this socket may receive from it. */
  tracks: Map<string, Track>;
}

interface Track {
  /** Candidates by seq: send time and the sender's socket at that time. */
  candidates: Map<number, Candidate>;
  arrived: Set<number>;
  maxSeq: number;
  firstSeq?: number;
}

interface Candidate {
  sentAt: number;
  sender?: Socket;
  arrived: boolean;
}

export interface LedgerOptions {
  drainWindowMs: number;
  /** Where live samples go (sent, delivered, propagation, duplicated, out of order; lost at finalise). */
  metrics: MetricSink;
}

export class Ledger {
  private readonly current = new Map<string, Socket>();
  private readonly sockets: Socket[] = [];
  private readonly totals = new Map<Direction, DirectionTotals>();
  private nextGen = 1;
  private finalised = false;

  constructor(private readonly options: LedgerOptions) {
    for (const d of DIRECTIONS) this.totals.set(d, { sent: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0 });
  }

  /**
   * The endpoint's coordinate socket opened (a new generation; an open one is implicitly closed).
   * `established`: the socket was open (and registered) long before, e.g. a benchmark that starts
   * a fresh ledger per step; then no update is excused as collapsed into a connect snapshot.
   */
  socketOpened(key: string, atMs: number, established = false): void {
    if (this.finalised) return;
    const previous = this.current.get(key);
    if (previous && previous.closedAt === undefined) previous.closedAt = atMs;
    const socket: Socket = { gen: this.nextGen++, openAt: atMs, established, tracks: new Map() };
    this.current.set(key, socket);
    this.sockets.push(socket);
  }

  socketClosed(key: string, atMs: number): void {
    if (this.finalised) return;
    const socket = this.current.get(key);
    if (socket && socket.closedAt === undefined) socket.closedAt = atMs;
  }

  isOpen(key: string): boolean {
    const socket = this.current.get(key);
    return socket !== undefined && socket.closedAt === undefined;
  }

  /** `sender` published update `seq` at `sentAtMs`; the coordinator should fan it out to `receivers`. */
  sent(direction: Direction, sender: string, seq: number, sentAtMs: number, receivers: Iterable<string>): void {
    if (this.finalised) return;
    this.total(direction).sent++;
    this.options.metrics.count(METRIC.coordUpdatesSent, 1, { direction });
    const senderSocket = this.openSocket(sender);
    for (const receiver of receivers) {
      const socket = this.openSocket(receiver);
      if (!socket) continue;
      this.track(socket, sender).candidates.set(seq, { sentAt: sentAtMs, sender: senderSocket, arrived: false });
    }
  }

  /** `receiver` got update `seq` from `sender` at `receivedAtMs` on its current socket. */
  received(direction: Direction, sender: string, receiver: string, seq: number, receivedAtMs: number): ArrivalKind {
    if (this.finalised) return 'ignored';
    const socket = this.openSocket(receiver);
    if (!socket) return 'ignored';
    const track = this.track(socket, sender);
    const tags = { direction };
    const totals = this.total(direction);
    if (track.arrived.has(seq)) {
      totals.duplicated++;
      this.options.metrics.count(METRIC.coordDuplicated, 1, tags);
      return 'duplicate';
    }
    track.arrived.add(seq);
    if (track.firstSeq === undefined) track.firstSeq = seq;
    const stale = track.arrived.size > 1 && seq < track.maxSeq;
    if (stale) {
      totals.outOfOrder++;
      this.options.metrics.count(METRIC.coordOutOfOrder, 1, tags);
    }
    track.maxSeq = Math.max(track.maxSeq, seq);
    const candidate = track.candidates.get(seq);
    if (!candidate) return stale ? 'stale' : 'snapshot';
    candidate.arrived = true;
    totals.delivered++;
    this.options.metrics.count(METRIC.coordUpdatesDelivered, 1, tags);
    this.options.metrics.trend(METRIC.coordPropagation, Math.max(0, receivedAtMs - candidate.sentAt), tags);
    return stale ? 'delivered_stale' : 'delivered';
  }

  /**
   * Counts what never arrived (see the class rules), records METRIC.coordLost and zero-valued
   * counters so every series exists in the summary, and freezes the ledger.
   */
  finalise(endAtMs: number): Record<Direction, DirectionTotals> {
    if (!this.finalised) {
      this.finalised = true;
      for (const [direction, lost] of this.countLost(endAtMs)) this.total(direction).lost += lost;
      for (const direction of DIRECTIONS) {
        const t = this.total(direction);
        const tags = { direction };
        this.options.metrics.count(METRIC.coordLost, t.lost, tags);
        // Zero increments make the series exist, so thresholds on them have a value.
        this.options.metrics.count(METRIC.coordDuplicated, 0, tags);
        this.options.metrics.count(METRIC.coordOutOfOrder, 0, tags);
        this.options.metrics.count(METRIC.coordUpdatesSent, 0, tags);
        this.options.metrics.count(METRIC.coordUpdatesDelivered, 0, tags);
      }
    }
    return this.snapshot();
  }

  /** Totals so far (lost is only filled in by finalise). */
  snapshot(): Record<Direction, DirectionTotals> {
    return {
      agent_to_peer: { ...this.total('agent_to_peer') },
      peer_to_agent: { ...this.total('peer_to_agent') },
    };
  }

  private countLost(endAtMs: number): Map<Direction, number> {
    const lost = new Map<Direction, number>();
    for (const socket of this.sockets) {
      for (const [sender, track] of socket.tracks) {
        const direction = directionOfSender(sender);
        for (const [seq, c] of track.candidates) {
          if (c.arrived) continue;
          if (!socket.established && track.firstSeq !== undefined && seq < track.firstSeq) continue; // snapshot excuse
          const until = c.sentAt + this.options.drainWindowMs;
          if (until > endAtMs) continue; // no full drain window: not judged
          if (!openThrough(socket, until) || !c.sender || !openThrough(c.sender, until)) continue;
          lost.set(direction, (lost.get(direction) ?? 0) + 1);
        }
      }
    }
    return lost;
  }

  private openSocket(key: string): Socket | undefined {
    const socket = this.current.get(key);
    return socket && socket.closedAt === undefined ? socket : undefined;
  }

  private track(socket: Socket, sender: string): Track {
    let track = socket.tracks.get(sender);
    if (!track) {
      track = { candidates: new Map(), arrived: new Set(), maxSeq: -1 };
      socket.tracks.set(sender, track);
    }
    return track;
  }

  private total(direction: Direction): DirectionTotals {
    return this.totals.get(direction) as DirectionTotals;
  }
}

function openThrough(socket: Socket, until: number): boolean {
  return socket.closedAt === undefined || socket.closedAt >= until;
}

/** Agent keys start with `agent:`, peer keys with `peer:` (see keys below). */
function directionOfSender(sender: string): Direction {
  return sender.startsWith(AGENT_KEY_PREFIX) ? 'agent_to_peer' : 'peer_to_agent';
}

const AGENT_KEY_PREFIX = 'agent:';
/** Ledger key of an agent endpoint. */
export const agentKey = (agentId: string): string => `${AGENT_KEY_PREFIX}${agentId}`;
/** Ledger key of peer `index` of an agent. */
export const peerKey = (agentId: string, index: number): string => `peer:${agentId}:${index}`;
