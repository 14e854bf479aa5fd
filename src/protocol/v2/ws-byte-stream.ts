/**
 * A `ws` WebSocket seen as a plain byte stream (docs/protocol-v2.md §1.4, §1.5): every write is
 * one binary message, inbound binary messages are concatenated and their boundaries mean
 * nothing (the Go side writes a yamux header and its body as two messages). Works the same for a
 * client socket and a socket accepted by a `WebSocketServer`.
 */
import type { RawData, WebSocket } from 'ws';
import { WsClosedError } from './wire-errors.js';
import { binaryFrame, directSocket } from '../ws-frame.js';

/** The consumer side of a {@link ByteTransport} (the yamux session implements it). */
export interface ByteSink {
  /** Inbound bytes; the chunk may be retained but must not be mutated. */
  onTransportData(chunk: Uint8Array): void;
  /** The transport's outbound buffer fell below its low-water mark after `writable` was false. */
  onTransportDrain(): void;
  /** Once: the transport ended; `error` undefined means a clean EOF (close 1000/1001). */
  onTransportClose(error: Error | undefined): void;
}

/** A duplex byte stream with backpressure, the only thing yamux needs from below. */
export interface ByteTransport {
  /** Attaches the single consumer; bytes that arrived earlier are delivered now. */
  start(sink: ByteSink): void;
  /** Queues bytes for sending (the transport keeps a reference; do not mutate afterwards). */
  write(chunk: Uint8Array): void;
  /** False while the outbound buffer is above the high-water mark; wait for `onTransportDrain`. */
  readonly writable: boolean;
  /** Graceful close (WebSocket close handshake, so unread input is drained, protocol-v2 §1.4, §9.1). */
  close(code?: number, reason?: string): void;
}

/** Options of {@link wsByteStream}. */
export interface WsByteStreamOptions {
  /** Outbound bytes buffered in ws/socket above which `writable` turns false (default 1 MiB). */
  highWaterMark?: number;
  /** Buffered bytes at or below which a drain is signalled (default highWaterMark / 4). */
  lowWaterMark?: number;
}

/**
 * Client options for the v2 routes: no compression (coderd negotiates none for agents; a
 * compressed byte stream only costs CPU here) and no message-size limit, because a Go peer's
 * NetConn reads messages of any size and a yamux write can be 256 KiB + 12 (protocol-v2 §1.4).
 */
export const V2_WS_CLIENT_OPTIONS = Object.freeze({ perMessageDeflate: false, maxPayload: 0 });

/** `WebSocketServer` options for serving the v2 routes (see {@link V2_WS_CLIENT_OPTIONS}). */
export const V2_WS_SERVER_OPTIONS = Object.freeze({ perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });

const OPEN = 1;
/** coder/websocket closes with StatusUnsupportedData when NetConn reads a text message. */
const UNSUPPORTED_DATA = 1003;

class WsByteStream implements ByteTransport {
  private sink: ByteSink | null = null;
  private early: Uint8Array[] | null = null;
  private closeError: Error | undefined | null = null; // null = still open
  private lastError: Error | undefined;
  private waitingDrain = false;
  private readonly highWater: number;
  private readonly lowWater: number;
  /**
   * One callback for every send, so a write allocates no closure. Assigned in the constructor
   * rather than as a field initializer, so tsx/esbuild `keepNames` does not give it an own
   * `name` property (a dictionary-mode property store per socket, ~250 B).
   */
  private readonly afterSend: () => void;

  constructor(
    private readonly ws: WebSocket,
    options: WsByteStreamOptions,
  ) {
    this.highWater = options.highWaterMark ?? 1024 * 1024;
    this.lowWater = options.lowWaterMark ?? Math.floor(this.highWater / 4);
    this.afterSend = () => this.checkDrain();
    ws.binaryType = 'nodebuffer';
    // Shared listeners that find the stream on the socket (EventEmitter calls them with the
    // socket as `this`), instead of three closures and their context per socket.
    (ws as TaggedSocket)[BYTE_STREAM] = this;
    ws.on('message', onSocketMessage);
    ws.on('error', onSocketError);
    ws.on('close', onSocketClose);
    if (ws.readyState > OPEN) this.onClose(1006, '');
  }

  start(sink: ByteSink): void {
    this.sink = sink;
    const early = this.early;
    this.early = null;
    if (early) for (const chunk of early) sink.onTransportData(chunk);
    if (this.closeError !== null) sink.onTransportClose(this.closeError);
  }

  get writable(): boolean {
    return this.ws.bufferedAmount < this.highWater;
  }

  write(chunk: Uint8Array): void {
    if (this.ws.readyState !== OPEN) return; // the close event reports the failure
    // A server's frame goes to the socket in one write (the bytes ws.send would write).
    const socket = directSocket(this.ws);
    if (socket) socket.write(binaryFrame(chunk), this.afterSend);
    else this.ws.send(chunk, { binary: true }, this.afterSend);
    if (!this.waitingDrain && this.ws.bufferedAmount >= this.highWater) this.waitingDrain = true;
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState <= OPEN) this.ws.close(code, reason);
  }

  private checkDrain(): void {
    if (this.waitingDrain && this.ws.bufferedAmount <= this.lowWater) {
      this.waitingDrain = false;
      this.sink?.onTransportDrain();
    }
  }

  onMessage(data: RawData, isBinary: boolean): void {
    if (this.closeError !== null) return;
    if (!isBinary) {
      this.lastError = new WsClosedError(UNSUPPORTED_DATA, 'unexpected text message');
      this.ws.close(UNSUPPORTED_DATA, 'expected binary message');
      return;
    }
    const chunk = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (chunk.length === 0) return;
    if (this.sink) this.sink.onTransportData(chunk);
    else (this.early ??= []).push(chunk);
  }

  onError(error: Error): void {
    this.lastError = error;
  }

  onClose(code: number, reason: string): void {
    if (this.closeError !== null) return;
    // 1000/1001 read as EOF, like coder/websocket's NetConn (protocol-v2 §1.5); 1005 = closed without a code.
    const clean = code === 1000 || code === 1001 || code === 1005;
    this.closeError = clean ? undefined : (this.lastError ?? new WsClosedError(code, reason));
    if (this.closeError === undefined && this.lastError) this.closeError = this.lastError;
    const sink = this.sink;
    if (sink) {
      this.waitingDrain = false;
      sink.onTransportClose(this.closeError);
    }
  }
}

/** Where a socket's shared listeners find its byte stream. */
const BYTE_STREAM = Symbol('wsByteStream');
type TaggedSocket = WebSocket & { [BYTE_STREAM]: WsByteStream };

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as TaggedSocket)[BYTE_STREAM].onMessage(data, isBinary);
}

function onSocketError(this: WebSocket, error: Error): void {
  (this as TaggedSocket)[BYTE_STREAM].onError(error);
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as TaggedSocket)[BYTE_STREAM].onClose(code, reason.toString('utf8'));
}

/** Wraps an open (or opening) ws WebSocket as a {@link ByteTransport}. */
export function wsByteStream(ws: WebSocket, options: WsByteStreamOptions = {}): ByteTransport {
  return new WsByteStream(ws, options);
}
