/**
 * The in-memory (AGPL, single replica) tailnet coordinator of protocol §7.4 over `ws` sockets that
 * the HTTP layer has already authenticated and upgraded.
 *
 * Wire rules (§7.1): binary frames only (a text frame closes 1003), inbound frames form one byte
 * stream of Node objects (split or packed, see JsonStreamDecoder), every node is decoded strictly,
 * re-encoded once and sent as `[node]` in one binary frame. A node Go would refuse closes the
 * socket 1011 with `handle next <agent|client> message: read json: <error>`.
 *
 * Hot path: one listener set shared by all sockets (the connection state hangs off the socket);
 * a message that is one Node already in Go's encoding is validated in one pass over its bytes and
 * forwarded as is (canonical-node.ts), anything else is decoded and re-encoded; one pre-built
 * frame per update written to every recipient (frame.ts); the agent's Node object is only built
 * when someone asks for it; keepalive pings spread over the interval; no logging.
 */
import { systemClock, type Clock, type Ticker } from '../../core/clock.js';
import { WebSocket } from 'ws';
import type { Logger } from '../../core/log.js';
import { JsonStreamDecoder } from '../../protocol/json-stream.js';
import { decodeNode, decodeNodeArray, encodeNode } from '../../protocol/node-codec.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import { CanonicalMemo, isCanonicalNode } from './canonical-node.js';
import { arrayFrameFromBytes, framePayload, frameFromText, writeFrame } from './frame.js';

export interface AgentHooks {
  /** Each node the *current* agent socket sends, after validation. */
  onNode?(node: TailnetNode): void;
  /** Once, when this socket's serving ends (also when a newer socket replaced it). */
  onClose?(): void;
}

export interface CoordinatorStats {
  agents: number;
  clients: number;
  /** Valid nodes received from agents and clients. */
  nodesIn: number;
  /** Arrays sent to agents and clients (each recipient counts once). */
  arraysOut: number;
  /** Agent sockets replaced by a newer socket for the same id. */
  overwrites: number;
}

/** Close reasons are at most 123 bytes (125-byte control payload minus the code). */
const MAX_REASON_BYTES = 123;
const TEXT_FRAME_REASON = 'unexpected frame type read (expected MessageBinary): MessageText';
const CONN = Symbol('coordinatorConn');
/** Pings go out in this many slices per interval (at most), so no tick pings every socket. */
const PING_SLICES = 60;
/** Slices are at least this far apart. */
const MIN_PING_SLICE_MS = 50;

interface Conn {
  readonly coord: Coordinator;
  readonly ws: WebSocket;
  readonly agentId: string;
  readonly role: 'agent' | 'client';
  readonly decoder: JsonStreamDecoder;
  awaitingPong: boolean;
  /** Ping slice this socket belongs to. */
  readonly slot: number;
  /** Node segments this socket sent that already passed the fast path's checks (canonical-node.ts). */
  readonly memo: CanonicalMemo;
}

interface AgentConn extends Conn {
  readonly role: 'agent';
  readonly hooks: AgentHooks | undefined;
}

interface ClientConn extends Conn {
  readonly role: 'client';
  /** `[node]` frame of this client's latest node (payload minus the brackets = encodeNode text). */
  frame: Buffer | undefined;
}

/** The agent's latest update: the frame always, the Node once someone asked for it. */
interface AgentEntry {
  frame: Buffer;
  node: TailnetNode | undefined;
}

type SocketWithConn = WebSocket & { [CONN]?: AgentConn | ClientConn };

function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = reason.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// Shared listeners: `this` is the socket, the connection state hangs off it.
function onMessage(this: SocketWithConn, data: WebSocket.RawData, isBinary: boolean): void {
  const conn = this[CONN];
  if (conn) conn.coord.handleMessage(conn, data, isBinary);
}
function onPong(this: SocketWithConn): void {
  const conn = this[CONN];
  if (conn) conn.awaitingPong = false;
}
function onClose(this: SocketWithConn): void {
  const conn = this[CONN];
  if (conn) conn.coord.handleClose(conn);
}
function onError(): void {
  // ws closes the socket itself after an error (bad frame, payload over maxPayload → 1009).
}

/** The Node of an `[node]` frame built by the coordinator (valid by construction). */
function nodeOfFrame(frame: Buffer): TailnetNode {
  return decodeNodeArray(framePayload(frame).toString())[0] as TailnetNode;
}

export class Coordinator {
  private readonly agents = new Map<string, AgentConn>();
  /** Latest agent node and its `[node]` frame; kept while the agent's socket is current. */
  private readonly agentNodes = new Map<string, AgentEntry>();
  private readonly clients = new Map<string, Set<ClientConn>>();
  private readonly log: Logger | undefined;
  private readonly pingTicker: Ticker | undefined;
  /** Sockets per ping slice; slice k is pinged on ticks k, k + slices, … */
  private readonly pingSlots: Set<Conn>[];
  private pingTick = 0;
  private nextSlot = 0;
  private closed = false;
  private clientCount = 0;
  private nodesIn = 0;
  private arraysOut = 0;
  private overwrites = 0;

  /** `clock` drives the keepalive pings (default: the system clock). */
  constructor(opts: { pingIntervalMs?: number; log?: Logger; clock?: Clock } = {}) {
    this.log = opts.log;
    const interval = opts.pingIntervalMs ?? 15_000;
    // coderd pings each socket on its own ticker; pinging ~2,000 sockets in one tick would stall
    // the event loop (one write each) for ~100 ms, so the sockets are spread over slices.
    const slices = interval > 0 ? Math.max(1, Math.min(PING_SLICES, Math.floor(interval / MIN_PING_SLICE_MS))) : 1;
    this.pingSlots = Array.from({ length: slices }, () => new Set<Conn>());
    if (interval > 0) this.pingTicker = (opts.clock ?? systemClock()).every(interval / slices, () => this.pingSlice());
  }

  /** Serves an agent socket (ServeAgent). */
  attachAgent(agentId: string, ws: WebSocket, hooks?: AgentHooks): void {
    if (this.refuseIfClosed(ws)) return;
    const conn: AgentConn = {
      coord: this,
      ws,
      agentId,
      role: 'agent',
      decoder: new JsonStreamDecoder(),
      awaitingPong: false,
      slot: this.takeSlot(),
      memo: new CanonicalMemo(),
      hooks,
    };
    this.listen(ws, conn);
    // 1. Every waiting client's node in one array ([] when none has sent one yet).
    const waiting = this.clients.get(agentId);
    if (waiting && waiting.size > 0) {
      let body = '[';
      for (const client of waiting) {
        if (client.frame === undefined) continue;
        const payload = framePayload(client.frame);
        body += (body.length > 1 ? ',' : '') + payload.toString('utf8', 1, payload.length - 1);
      }
      this.send(ws, frameFromText(body + ']'));
    }
    // 2. A newer socket replaces the old one, which is closed normally.
    const old = this.agents.get(agentId);
    if (old) {
      this.overwrites++;
      this.log?.debug(`coordinator: agent socket replaced (overwrite ${this.overwrites})`);
      old.ws.close(1000);
    }
    this.agents.set(agentId, conn);
  }

  /** Serves a client socket (ServeClient) that wants to reach `agentId`. */
  attachClient(agentId: string, ws: WebSocket): void {
    if (this.refuseIfClosed(ws)) return;
    const conn: ClientConn = {
      coord: this,
      ws,
      agentId,
      role: 'client',
      decoder: new JsonStreamDecoder(),
      awaitingPong: false,
      slot: this.takeSlot(),
      memo: new CanonicalMemo(),
      frame: undefined,
    };
    this.listen(ws, conn);
    const latest = this.agentNodes.get(agentId);
    if (latest) this.send(ws, latest.frame);
    let set = this.clients.get(agentId);
    if (!set) this.clients.set(agentId, (set = new Set()));
    set.add(conn);
    this.clientCount++;
  }

  /** The agent's latest node while its socket is current. */
  agentNode(agentId: string): TailnetNode | undefined {
    const entry = this.agentNodes.get(agentId);
    if (!entry) return undefined;
    // Built once per update, so the same update always answers the same object.
    return (entry.node ??= nodeOfFrame(entry.frame));
  }

  isAgentConnected(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  /**
   * Server-side drop of agent sockets (fault injection): a close with 1001 and no reason (what
   * coderd sends when the build is outdated), or an abrupt `terminate` (the agent sees 1006).
   * Returns how many sockets were dropped.
   */
  dropAgents(agentIds?: Iterable<string>, how: 'close' | 'terminate' = 'close'): number {
    const targets = agentIds ? [...agentIds] : [...this.agents.keys()];
    let dropped = 0;
    for (const id of targets) {
      const conn = this.agents.get(id);
      if (!conn || conn.ws.readyState !== WebSocket.OPEN) continue;
      if (how === 'terminate') conn.ws.terminate();
      else conn.ws.close(1001);
      dropped++;
    }
    return dropped;
  }

  /** Closes every socket (1000); later attaches are closed 1011 "coordinator is closed". */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pingTicker?.stop();
    for (const conn of this.agents.values()) conn.ws.close(1000);
    for (const set of this.clients.values()) for (const conn of set) conn.ws.close(1000);
  }

  stats(): CoordinatorStats {
    return { agents: this.agents.size, clients: this.clientCount, nodesIn: this.nodesIn, arraysOut: this.arraysOut, overwrites: this.overwrites };
  }

  /** @internal Called by the shared 'message' listener. */
  handleMessage(conn: AgentConn | ClientConn, data: WebSocket.RawData, isBinary: boolean): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return; // closing: Go's reader has already failed
    if (!isBinary) {
      ws.close(1003, TEXT_FRAME_REASON);
      return;
    }
    // Fast path: one whole Node in Go's encoding, with no value in progress on this stream.
    if (Buffer.isBuffer(data) && !conn.decoder.pending && isCanonicalNode(data, conn.memo)) {
      this.nodesIn++;
      const frame = arrayFrameFromBytes(data);
      if (conn.role === 'agent') this.agentFrame(conn, frame, undefined);
      else this.clientFrame(conn, frame);
      return;
    }
    let texts: string[];
    let node: TailnetNode;
    try {
      texts = conn.decoder.push(toBuffer(data));
    } catch (err) {
      this.fail(conn, err);
      return;
    }
    for (const text of texts) {
      try {
        node = decodeNode(text);
      } catch (err) {
        this.fail(conn, err);
        return;
      }
      this.nodesIn++;
      const frame = frameFromText(`[${encodeNode(node)}]`);
      if (conn.role === 'agent') this.agentFrame(conn, frame, node);
      else this.clientFrame(conn, frame);
    }
  }

  /** @internal Called by the shared 'close' listener. */
  handleClose(conn: AgentConn | ClientConn): void {
    this.pingSlots[conn.slot]?.delete(conn);
    if (conn.role === 'agent') {
      // Only the current socket owns the entry: an overwritten socket must not remove the new one.
      if (this.agents.get(conn.agentId) === conn) {
        this.agents.delete(conn.agentId);
        this.agentNodes.delete(conn.agentId);
      }
      conn.hooks?.onClose?.();
      return;
    }
    const set = this.clients.get(conn.agentId);
    if (set?.delete(conn)) {
      this.clientCount--;
      if (set.size === 0) this.clients.delete(conn.agentId);
    }
  }

  /** `frame` is `[node]`; `node` is its Node when already decoded. */
  private agentFrame(conn: AgentConn, frame: Buffer, node: TailnetNode | undefined): void {
    // One entry per agent, updated in place: no per-update object that outlives a scavenge.
    let entry = this.agentNodes.get(conn.agentId);
    if (entry) {
      entry.frame = frame;
      entry.node = node;
    } else this.agentNodes.set(conn.agentId, (entry = { frame, node }));
    const onNode = conn.hooks?.onNode;
    if (onNode) onNode((entry.node ??= nodeOfFrame(frame)));
    const set = this.clients.get(conn.agentId);
    if (!set) return;
    for (const client of set) this.send(client.ws, frame);
  }

  private clientFrame(conn: ClientConn, frame: Buffer): void {
    conn.frame = frame;
    const agent = this.agents.get(conn.agentId);
    if (agent) this.send(agent.ws, frame);
  }

  /** Sends a pre-built frame (frame.ts) to an open socket. */
  private send(ws: WebSocket, frame: Buffer): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    writeFrame(ws, frame);
    this.arraysOut++;
  }

  private fail(conn: Conn, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const reason = `handle next ${conn.role} message: read json: ${message}`;
    this.log?.debug(`coordinator: ${conn.role} closed 1011: ${reason}`);
    conn.ws.close(1011, truncateReason(reason));
  }

  private listen(ws: WebSocket, conn: AgentConn | ClientConn): void {
    (ws as SocketWithConn)[CONN] = conn;
    this.pingSlots[conn.slot]?.add(conn);
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  private refuseIfClosed(ws: WebSocket): boolean {
    if (!this.closed) return false;
    ws.on('error', onError);
    ws.close(1011, 'coordinator is closed');
    return true;
  }

  private takeSlot(): number {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.pingSlots.length;
    return slot;
  }

  /**
   * Keepalive only (httpapi.Heartbeat): each tick pings one slice, so every socket is pinged once
   * per interval; a socket that never answers is simply not pinged again.
   */
  private pingSlice(): void {
    const slot = this.pingTick;
    this.pingTick = (slot + 1) % this.pingSlots.length;
    for (const conn of this.pingSlots[slot] as Set<Conn>) this.ping(conn);
  }

  private ping(conn: Conn): void {
    if (conn.awaitingPong || conn.ws.readyState !== WebSocket.OPEN) return;
    conn.awaitingPong = true;
    conn.ws.ping();
  }
}
