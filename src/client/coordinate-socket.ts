/**
 * The client end of a coordinate WebSocket (protocol §7), used by fake agents (`/me/coordinate`)
 * and peers (`/{id}/coordinate`): one binary frame per Node out, a stream of Node arrays in.
 *
 * Like agentsdk.Listen it pings every 30 s and closes with 1001 "Ping failed" when no pong comes
 * back within 30 s (§7.5). Reconnecting is the caller's job: `reconnectBackoff` gives the
 * scenario's policy (`agents.reconnect`, `peers.reconnect`; by default the SDK's doubling delays
 * without jitter, agents 100 ms → 10 s, peers 50 ms → 10 s).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { JsonStreamDecoder } from '../protocol/json-stream.js';
import { FixedDelayQueue, QueueEntry } from './fixed-delay-queue.js';
import { decodeNodeArray, encodeNode } from '../protocol/node-codec.js';
import { dialWebSocket } from './ws-dial.js';
import type { TailnetNode } from '../protocol/tailnet-node.js';

export interface CoordinateSocketOptions {
  /** Full ws(s) URL, e.g. `ws://127.0.0.1:3000/api/v2/workspaceagents/me/coordinate`. */
  url: string;
  /** Agent token or user API key. Secret: never logged. */
  token: string;
  /** `cookie` (coder_session_token, what the Go agent does) or the `Coder-Session-Token` header. */
  tokenIn: 'cookie' | 'header';
  localAddress?: string;
  /** Opening handshake limit (default 30 s). */
  handshakeTimeoutMs?: number;
  /** Client ping interval (default 30 s, agentsdk.Listen); 0 disables pings. */
  pingIntervalMs?: number;
  /** Pong deadline (default 30 s); missing it closes 1001 "Ping failed". */
  pingTimeoutMs?: number;
  /** Largest inbound message; default unlimited (Go agents: 32 KiB, protocol §7.1). */
  maxPayload?: number;
  /** How long a close handshake may take before the socket is destroyed (default 5 s, like nhooyr). */
  closeGraceMs?: number;
  /** Each inbound array; `receivedAtMs` is wall-clock epoch ms with sub-ms precision. */
  onNodes(nodes: TailnetNode[], receivedAtMs: number): void;
  /** Once, after the socket was open, when it ends. */
  onClose(code: number, reason: string): void;
}

export interface CoordinateSocket {
  /** Sends one Node as one binary frame (dropped when the socket is not open). */
  sendNode(node: TailnetNode): void;
  /**
   * Sends a Node already encoded as JSON text (e.g. from a pre-encoded template) as one binary
   * frame; optional so test doubles need only `sendNode`.
   */
  sendRaw?(text: string): void;
  /** Starts a close handshake (default 1000); the socket is destroyed if it does not finish. */
  close(code?: number): void;
  readonly open: boolean;
}

export { CoordinateDialError } from './ws-dial.js';

const SEND_OPTS = { binary: true } as const;
const TEXT_FRAME_REASON = 'unexpected frame type read (expected MessageBinary): MessageText';

/** Close reasons carry at most 123 bytes. */
function truncateReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Dials the coordinate endpoint; resolves once open, rejects with the HTTP status or network error. */
export function openCoordinateSocket(opts: CoordinateSocketOptions): Promise<CoordinateSocket> {
  const headers: Record<string, string> = opts.tokenIn === 'header' ? { 'Coder-Session-Token': opts.token } : { Cookie: `coder_session_token=${opts.token}` };
  return dialWebSocket(
    opts.url,
    {
      headers,
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: opts.handshakeTimeoutMs ?? 30_000,
      maxPayload: opts.maxPayload ?? 0,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    },
    (ws) => new Session(ws, opts),
  );
}

const kSession = Symbol('fleetsim.session');
type SessionSocket = WebSocket & { [kSession]?: Session };

/*
 * Listeners shared by every socket (`this` is the WebSocket, which points back at its Session):
 * no per-socket closures, which a fleet of tens of thousands of sockets would pay for.
 */
function onSocketError(): void {
  // ws follows an error with 'close'.
}
function onSocketMessage(this: SessionSocket, data: WebSocket.RawData, isBinary: boolean): void {
  this[kSession]?.onMessage(data, isBinary);
}
function onSocketPong(this: SessionSocket): void {
  this[kSession]?.onPong();
}
function onSocketClose(this: SessionSocket, code: number, reason: Buffer): void {
  this[kSession]?.onEnd(code, reason.toString('utf8'));
}
function terminateSocket(ws: WebSocket): void {
  ws.terminate();
}

/** One ping queue and one pong-deadline queue per interval/timeout, shared by all sockets. */
const pingQueues = new Map<number, FixedDelayQueue<Session>>();
const pongQueues = new Map<number, FixedDelayQueue<Session>>();

function queueFor(queues: Map<number, FixedDelayQueue<Session>>, delayMs: number, due: (s: Session) => void): FixedDelayQueue<Session> {
  let queue = queues.get(delayMs);
  if (!queue) {
    queue = new FixedDelayQueue(delayMs, due);
    queues.set(delayMs, queue);
  }
  return queue;
}

function pingDue(session: Session): void {
  session.ping();
}
function pongMissed(session: Session): void {
  session.pongMissed();
}

/** An open coordinate socket: read loop, keepalive pings and one onClose. */
class Session implements CoordinateSocket {
  private decoder: JsonStreamDecoder | undefined;
  /** Ticks every pingIntervalMs (like a Go ticker) while the socket lives. */
  private readonly pingEntry: QueueEntry<Session> | undefined;
  private readonly pingQueue: FixedDelayQueue<Session> | undefined;
  /** Queued while a ping awaits its pong. */
  private pongEntry: QueueEntry<Session> | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Set when this side decided to close for a reason of its own (ping, bad data). */
  private localClose: { code: number; reason: string } | undefined;
  private ended = false;

  constructor(
    private readonly ws: SessionSocket,
    private readonly opts: CoordinateSocketOptions,
  ) {
    ws[kSession] = this;
    ws.on('error', onSocketError);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    const interval = opts.pingIntervalMs ?? 30_000;
    if (interval > 0) {
      this.pingEntry = new QueueEntry<Session>(this);
      this.pingQueue = queueFor(pingQueues, interval, pingDue);
      this.pingQueue.add(this.pingEntry);
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendNode(node: TailnetNode): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(encodeNode(node)), SEND_OPTS);
  }

  /** Sends an already encoded Node (its JSON text) as one binary frame; dropped when not open. */
  sendRaw(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(text), SEND_OPTS);
  }

  close(code = 1000): void {
    this.closeWith(code, '');
  }

  private closeWith(code: number, reason: string, local?: boolean): void {
    if (local) this.localClose ??= { code, reason };
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    this.graceTimer ??= setTimeout(terminateSocket, this.opts.closeGraceMs ?? 5000, this.ws);
  }

  /** The ping tick. */
  ping(): void {
    if (this.ended) return;
    this.pingQueue!.add(this.pingEntry!);
    // Like a Go ticker behind a blocked Ping: no new ping while one is outstanding.
    if (this.pongEntry?.queued || this.ws.readyState !== WebSocket.OPEN) return;
    this.pongEntry ??= new QueueEntry<Session>(this);
    queueFor(pongQueues, this.opts.pingTimeoutMs ?? 30_000, pongMissed).add(this.pongEntry);
    this.ws.ping();
  }

  onPong(): void {
    if (this.pongEntry?.queued) queueFor(pongQueues, this.opts.pingTimeoutMs ?? 30_000, pongMissed).remove(this.pongEntry);
  }

  pongMissed(): void {
    if (!this.ended) this.closeWith(1001, 'Ping failed', true);
  }

  onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (!isBinary) {
      this.closeWith(1003, TEXT_FRAME_REASON, true);
      return;
    }
    const receivedAt = wallNowMs();
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let batches: TailnetNode[][];
    try {
      // Created on the first message: most agent sockets never receive one.
      this.decoder ??= new JsonStreamDecoder();
      batches = this.decoder.push(bytes).map(decodeNodeArray);
    } catch (err) {
      const reason = `read json: ${(err as Error).message}`;
      this.closeWith(1002, truncateReason(reason), true);
      return;
    }
    for (const nodes of batches) this.opts.onNodes(nodes, receivedAt);
  }

  onEnd(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pingEntry) this.pingQueue!.remove(this.pingEntry);
    if (this.pongEntry?.queued) queueFor(pongQueues, this.opts.pingTimeoutMs ?? 30_000, pongMissed).remove(this.pongEntry);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.ws[kSession] = undefined;
    const reported = this.localClose ?? { code, reason };
    this.opts.onClose(reported.code, reported.reason);
  }
}

/** Re-exported: the SDK-style backoff callers use around this socket. */
export { Backoff, backoffDelays, reconnectBackoff, type ReconnectPolicy } from '../core/backoff.js';
