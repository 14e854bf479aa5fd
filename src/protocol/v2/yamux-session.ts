/**
 * A yamux session over a byte transport, in either role (docs/protocol-v2.md §1.6, §1.7):
 * the WebSocket client (agent, CLI) is the yamux client and opens odd stream ids; coderd is the
 * server (even ids, and in Coder it never opens streams).
 *
 * Outbound frames of one synchronous burst are gathered and written as one transport message on
 * the next microtask (the Go reader does not care about message boundaries), so a unary call's
 * SYN, data header and body cost one WebSocket message instead of three.
 */
import {
  Flag,
  FrameType,
  GoAwayCode,
  YAMUX_HEADER_SIZE,
  YAMUX_INITIAL_WINDOW,
  YamuxFrameParser,
  writeYamuxHeader,
  type YamuxFrameSink,
} from './yamux-frame.js';
import { backgroundClock, type TimerClock, type TimerHandle } from '../../core/clock.js';
import { YamuxStream, type YamuxStreamOwner } from './yamux-stream.js';
import type { ByteSink, ByteTransport } from './ws-byte-stream.js';
import { YamuxPinger, type PingerHost } from './yamux-pinger.js';
import { YamuxClosedError, YamuxGoAwayError, YamuxProtocolError, YamuxTimeoutError } from './wire-errors.js';

/** Session options; defaults are hashicorp's `DefaultConfig()`, which Coder uses unchanged (protocol-v2 §1.6). */
export interface YamuxSessionOptions {
  role: 'client' | 'server';
  /** Called for each stream the peer opens (it is ACKed first). Without it, inbound streams are refused with RST. */
  onStream?: (stream: YamuxStream) => void;
  /** Called once when the session ends; `error` undefined after a local `close()`. */
  onClose?: (error: Error | undefined) => void;
  /** Ping the peer this often; 0 disables (default 30 s). */
  keepAliveIntervalMs?: number;
  /** How long a ping may stay unanswered (hashicorp: ConnectionWriteTimeout, default 10 s). */
  pingTimeoutMs?: number;
  /** A SYN without ACK for this long ends the session (default 75 s; 0 disables). */
  streamOpenTimeoutMs?: number;
  /** After our FIN, wait this long for the peer's before RST (default 5 min; 0 disables). */
  streamCloseTimeoutMs?: number;
  /** Per-stream receive window (default and minimum 256 KiB). */
  maxStreamWindowSize?: number;
  /** Inbound streams open at once above which new ones are refused with RST (default unlimited). */
  maxInboundStreams?: number;
  /**
   * The clock for keepalive, ping and stream deadlines (and the dRPC call timeouts of a
   * DrpcClient on this session). Default: the real clock, timers unref'd (the transport keeps the
   * process alive while it is open).
   */
  timers?: TimerClock;
}

/** Flush the gathered frames at once when they exceed this many bytes. */
const FLUSH_BYTES = 512 * 1024;
/**
 * First capacity of a batch: most batches are one frame of a few hundred bytes. Batches come from
 * `Buffer.allocUnsafe`, so small ones are slices of Node's shared pool (no zero-filling, no
 * off-heap allocation per message) — every reserved byte is written before the batch is sent.
 */
const MIN_BATCH = 512;
const MAX_STREAM_ID = 0xffffffff - 1;

export class YamuxSession implements ByteSink, YamuxFrameSink, YamuxStreamOwner, PingerHost {
  readonly maxWindow: number;
  private readonly streams = new Map<number, YamuxStream>();
  private readonly parser: YamuxFrameParser;
  /** The clock this session's timers run on. */
  readonly timers: TimerClock;
  private nextId: number;
  private inboundCount = 0;
  private out: Uint8Array | null = null;
  private outLen = 0;
  private flushQueued = false;
  /**
   * `flush` bound once per session (queueMicrotask passes no argument). Assigned in the
   * constructor, not as a field initializer: under tsx/esbuild `keepNames` an arrow in a field
   * initializer is wrapped in `__name()`, whose `defineProperty(fn, 'name')` gives every closure
   * its own dictionary-mode property store (~250 B per session).
   */
  private readonly flushBound: () => void;
  private dataStream: YamuxStream | null = null; // target of the Data body being parsed
  private dataFlags = 0;
  private drainWaiters: Set<YamuxStream> | null = null;
  private localGoAway = false;
  private remoteGoAway = false;
  private closedWith: Error | null = null;
  private readonly pinger: YamuxPinger;
  /** One timer for all stream open/close deadlines (no per-stream timers, nothing pinned). */
  private deadlineTimer: TimerHandle | undefined;
  private readonly openTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  constructor(
    private readonly transport: ByteTransport,
    private readonly options: YamuxSessionOptions,
  ) {
    this.maxWindow = Math.max(YAMUX_INITIAL_WINDOW, options.maxStreamWindowSize ?? YAMUX_INITIAL_WINDOW);
    this.nextId = options.role === 'client' ? 1 : 2;
    this.timers = options.timers ?? backgroundClock();
    this.flushBound = () => this.flush();
    this.parser = new YamuxFrameParser(this);
    this.openTimeoutMs = options.streamOpenTimeoutMs ?? 75_000;
    this.closeTimeoutMs = options.streamCloseTimeoutMs ?? 300_000;
    this.pinger = new YamuxPinger(this, this.timers, options.keepAliveIntervalMs ?? 30_000, options.pingTimeoutMs ?? 10_000);
    transport.start(this);
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** True once the session ended. */
  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** True while data frames may be queued (transport below its high-water mark). */
  get dataWritable(): boolean {
    return this.closedWith === null && this.transport.writable;
  }

  /**
   * Opens a stream: sends WindowUpdate+SYN now; data may follow before the ACK (protocol-v2 §1.7).
   * Throws YamuxGoAwayError after the peer's GoAway, YamuxClosedError after the session ended.
   */
  open(): YamuxStream {
    if (this.closedWith) throw this.closedWith;
    if (this.remoteGoAway) throw new YamuxGoAwayError(GoAwayCode.Normal, true);
    if (this.nextId > MAX_STREAM_ID) throw new YamuxClosedError('streams exhausted');
    const id = this.nextId;
    this.nextId += 2;
    const stream = new YamuxStream(this, id);
    this.streams.set(id, stream);
    this.sendWindowUpdate(id, Flag.SYN, this.maxWindow - YAMUX_INITIAL_WINDOW);
    stream.recvWindow = this.maxWindow;
    if (this.openTimeoutMs > 0) {
      stream.openDeadline = this.timers.now() + this.openTimeoutMs;
      this.armDeadline(this.openTimeoutMs);
    }
    return stream;
  }

  /** Sends a ping; resolves with the round trip in ms, rejects after `pingTimeoutMs`. */
  ping(): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return this.pinger.ping();
  }

  /**
   * Sends GoAway. Code 0: the peer may open no new streams (ours go on). Any other code also ends
   * the session (the frame is flushed first).
   */
  goAway(code: number = GoAwayCode.Normal): void {
    if (this.closedWith) return;
    this.localGoAway = true;
    this.control(FrameType.GoAway, 0, 0, code);
    if (code !== GoAwayCode.Normal) this.terminate(new YamuxGoAwayError(code, false));
  }

  /**
   * Ends the session: every stream fails with YamuxClosedError, the transport is closed
   * gracefully. Like hashicorp's Close, sends no GoAway (call `goAway()` first for that).
   */
  close(): void {
    this.terminate(undefined);
  }

  // ---- YamuxStreamOwner ----

  sendWindowUpdate(streamId: number, flags: number, delta: number): void {
    this.control(FrameType.WindowUpdate, flags, streamId, delta);
  }

  sendData(streamId: number, data: Uint8Array): void {
    const at = this.reserve(YAMUX_HEADER_SIZE + data.length);
    const out = this.out as Uint8Array;
    writeYamuxHeader(out, at, FrameType.Data, 0, streamId, data.length);
    out.set(data, at + YAMUX_HEADER_SIZE);
    if (this.outLen >= FLUSH_BYTES) this.flush();
  }

  waitDrain(stream: YamuxStream): void {
    (this.drainWaiters ??= new Set()).add(stream);
  }

  awaitRemoteFin(stream: YamuxStream): void {
    if (this.closeTimeoutMs <= 0) return;
    stream.closeDeadline = this.timers.now() + this.closeTimeoutMs;
    this.armDeadline(this.closeTimeoutMs);
  }

  streamDone(stream: YamuxStream): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if ((stream.id & 1) !== (this.options.role === 'client' ? 1 : 0)) this.inboundCount--;
    this.drainWaiters?.delete(stream);
  }

  // ---- ByteSink ----

  onTransportData(chunk: Uint8Array): void {
    if (this.closedWith) return;
    this.parser.push(chunk);
  }

  onTransportDrain(): void {
    const waiters = this.drainWaiters;
    if (!waiters || waiters.size === 0) return;
    this.drainWaiters = null;
    for (const stream of waiters) stream.pumpWrites();
  }

  onTransportClose(error: Error | undefined): void {
    this.terminate(error ?? new YamuxClosedError('session closed: EOF'), false);
  }

  // ---- YamuxFrameSink ----

  onFrameHeader(type: number, flags: number, streamId: number, length: number): boolean {
    switch (type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        return this.streamFrame(type, flags, streamId, length);
      case FrameType.Ping:
        if (flags & Flag.SYN) this.control(FrameType.Ping, Flag.ACK, 0, length);
        else if (flags & Flag.ACK) this.pinger.answered(length);
        return true;
      default:
        return this.goAwayReceived(length);
    }
  }

  onFrameBody(piece: Uint8Array, last: boolean): void {
    const stream = this.dataStream;
    if (stream === null) return; // unknown stream: discarded, as hashicorp does
    stream.receiveData(piece, last);
    if (last) {
      this.dataStream = null;
      if (this.dataFlags !== 0) stream.receiveFlags(this.dataFlags);
    }
  }

  onFrameError(message: string): void {
    this.protocolError(message);
  }

  // ---- internals ----

  private streamFrame(type: number, flags: number, streamId: number, length: number): boolean {
    let stream = this.streams.get(streamId);
    if (flags & Flag.SYN) {
      if (stream) return this.protocolError(`duplicate stream id ${streamId}`);
      stream = this.accept(streamId);
    }
    if (type === FrameType.WindowUpdate) {
      if (!stream) return true;
      stream.receiveFlags(flags);
      if (length > 0 && !stream.done) stream.receiveWindowUpdate(length);
      return true;
    }
    // Data: the window check happens on the header, like hashicorp's readData.
    if (stream && length > stream.recvWindow) return this.protocolError(`recv window exceeded (stream ${streamId})`);
    if (stream) stream.recvWindow -= length;
    this.dataStream = stream ?? null;
    // Flags other than ACK take effect after the body (a FIN must follow the data it closes).
    this.dataFlags = stream ? flags & ~(Flag.SYN | Flag.ACK) : 0;
    if (stream && flags & Flag.ACK) stream.receiveFlags(Flag.ACK);
    return true;
  }

  private accept(streamId: number): YamuxStream | undefined {
    const onStream = this.options.onStream;
    const limit = this.options.maxInboundStreams ?? Infinity;
    if (this.localGoAway || !onStream || this.inboundCount >= limit) {
      this.sendWindowUpdate(streamId, Flag.RST, 0);
      return undefined;
    }
    const stream = new YamuxStream(this, streamId);
    stream.markAccepted();
    stream.recvWindow = this.maxWindow;
    this.streams.set(streamId, stream);
    this.inboundCount++;
    this.sendWindowUpdate(streamId, Flag.ACK, this.maxWindow - YAMUX_INITIAL_WINDOW);
    onStream(stream);
    return stream;
  }

  private goAwayReceived(code: number): boolean {
    if (code === GoAwayCode.Normal) {
      this.remoteGoAway = true;
      return true;
    }
    this.terminate(new YamuxGoAwayError(code, true));
    return false;
  }

  private protocolError(message: string): false {
    if (!this.closedWith) {
      this.control(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError);
      this.terminate(new YamuxProtocolError(`yamux: ${message}`));
    }
    return false;
  }

  private control(type: number, flags: number, streamId: number, length: number): void {
    if (this.closedWith) return;
    const at = this.reserve(YAMUX_HEADER_SIZE);
    writeYamuxHeader(this.out as Uint8Array, at, type, flags, streamId, length);
  }

  /** Makes room for `size` bytes in the outbound batch; returns where to write them. */
  private reserve(size: number): number {
    let out = this.out;
    const at = this.outLen;
    if (out === null || at + size > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(MIN_BATCH, (at + size) * 2));
      if (out !== null && at > 0) grown.set(out.subarray(0, at));
      out = this.out = grown;
    }
    this.outLen = at + size;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
    return at;
  }

  private flush(): void {
    this.flushQueued = false;
    const out = this.out;
    if (out === null || this.outLen === 0) return;
    // The transport keeps a reference to what it is given, so the batch is never reused.
    this.transport.write(out.subarray(0, this.outLen));
    this.out = null;
    this.outLen = 0;
  }

  // ---- PingerHost ----

  sendPing(id: number): void {
    this.control(FrameType.Ping, Flag.SYN, 0, id);
  }

  pingTimedOut(): void {
    this.terminate(new YamuxTimeoutError('yamux: keepalive timeout'));
  }

  private armDeadline(inMs: number): void {
    // Deadlines added later expire later (fixed timeouts), so an armed timer is never too late.
    if (this.deadlineTimer === undefined) this.deadlineTimer = this.timers.setTimeout(YamuxSession.onDeadline, inMs, this);
  }

  /** Timer callback; static with the session as its argument, so arming allocates no closure. */
  private static onDeadline(self: YamuxSession): void {
    self.checkDeadlines();
  }

  /** Expires SYNs never ACKed (ends the session) and FINs never answered (RST the stream). */
  private checkDeadlines(): void {
    this.deadlineTimer = undefined;
    if (this.closedWith) return;
    const now = this.timers.now();
    let next = Infinity;
    for (const stream of [...this.streams.values()]) {
      if (stream.openDeadline > 0) {
        if (stream.acked) stream.openDeadline = 0;
        else if (stream.openDeadline <= now) return this.terminate(new YamuxTimeoutError('yamux: stream open timeout'));
        else next = Math.min(next, stream.openDeadline);
      }
      if (stream.closeDeadline > 0 && !stream.done) {
        if (stream.closeDeadline <= now) stream.reset();
        else next = Math.min(next, stream.closeDeadline);
      }
    }
    if (next !== Infinity) this.deadlineTimer = this.timers.setTimeout(YamuxSession.onDeadline, next - now, this);
  }

  private terminate(error: Error | undefined, closeTransport = true): void {
    if (this.closedWith) return;
    const reason = error ?? new YamuxClosedError('session closed');
    this.closedWith = reason;
    this.parser.stop();
    this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.pinger.stop(reason);
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.drainWaiters = null;
    for (const stream of streams) stream.fail(reason);
    this.flush();
    if (closeTransport) this.transport.close(error ? 1011 : 1000, error ? error.message.slice(0, 120) : '');
    this.options.onClose?.(error);
  }
}
