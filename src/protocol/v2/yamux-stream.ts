/**
 * One yamux stream (docs/protocol-v2.md §1.7): half-close with FIN, hard close with RST, and
 * flow control — the sender never exceeds the peer's window and queues the rest until a
 * WindowUpdate; the receiver grants more window only as its consumer takes the bytes.
 *
 * Inbound bytes are pushed to one {@link YamuxStreamHandler} (an object, so a stream costs no
 * per-event closures). `pause()` makes the stream buffer instead and withhold window credit,
 * which is how a slow consumer pushes back on the peer.
 */
import { Flag, YAMUX_INITIAL_WINDOW } from './yamux-frame.js';
import { YamuxClosedError, YamuxResetError } from './wire-errors.js';

/** Receives a stream's events. */
export interface YamuxStreamHandler {
  /** Inbound bytes (zero-copy; may be retained, must not be mutated). */
  onStreamData(chunk: Uint8Array): void;
  /** The peer sent FIN: no more data will come (writing is still allowed). */
  onStreamEnd(): void;
  /** The stream failed: reset by either side, or the session ended. Called at most once. */
  onStreamError(error: Error): void;
}

/** What a stream needs from its session. */
export interface YamuxStreamOwner {
  readonly maxWindow: number;
  /** True while data frames may be queued on the transport (else wait for `onStreamDrain`). */
  readonly dataWritable: boolean;
  sendWindowUpdate(streamId: number, flags: number, delta: number): void;
  sendData(streamId: number, data: Uint8Array): void;
  /** The stream waits for transport drain; the session calls `pumpWrites()` after it. */
  waitDrain(stream: YamuxStream): void;
  /** We sent FIN and still wait for the peer's (StreamCloseTimeout starts). */
  awaitRemoteFin(stream: YamuxStream): void;
  /** The stream is over (both FINs, or reset): forget it. */
  streamDone(stream: YamuxStream): void;
}

const LOCAL_FIN = 1;
const REMOTE_FIN = 2;
const FIN_PENDING = 4; // close() called while writes were queued
const END_DELIVERED = 8;
const DONE = 16;
const ACKED = 32;

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class YamuxStream {
  /** Bytes we may still send before the peer grants more. */
  sendWindow = YAMUX_INITIAL_WINDOW;
  /** Bytes the peer may still send us. */
  recvWindow = YAMUX_INITIAL_WINDOW;
  /** Session bookkeeping: when the SYN times out / when the FIN wait times out (ms). */
  openDeadline = 0;
  closeDeadline = 0;
  private state = 0;
  private handler: YamuxStreamHandler | null = null;
  private paused = false;
  private inbound: Uint8Array[] | null = null;
  private buffered = 0;
  private writes: Uint8Array[] | null = null;
  private writeOffset = 0;
  private waiters: Waiter[] | null = null;
  private error: Error | null = null;

  constructor(
    private readonly owner: YamuxStreamOwner,
    /** Stream id: odd when opened by the client, even when opened by the server. */
    readonly id: number,
  ) {}

  /** True once the peer ACKed our SYN (or for a stream we accepted). */
  get acked(): boolean {
    return (this.state & ACKED) !== 0;
  }

  /** True once the stream is over (both sides closed, or reset). */
  get done(): boolean {
    return (this.state & DONE) !== 0;
  }

  /** The error the stream failed with, if any. */
  get failure(): Error | null {
    return this.error;
  }

  /** True while everything written so far went out (no bytes wait for window or drain). */
  get flushed(): boolean {
    return this.writes === null;
  }

  /** Sets the consumer; data buffered before it was set is delivered now (unless paused). */
  setHandler(handler: YamuxStreamHandler): void {
    this.handler = handler;
    if (!this.paused) this.deliverBuffered();
  }

  /**
   * Sends bytes. Returns true when they all went out now, false when some wait for the peer's
   * window or transport drain (they go out in order; `whenWritten()` tells when). Throws when the
   * stream can no longer send (closed or failed).
   */
  write(data: Uint8Array): boolean {
    if (this.error) throw this.error;
    if (this.state & (LOCAL_FIN | FIN_PENDING)) throw new YamuxClosedError('stream closed');
    if (data.length === 0) return this.writes === null;
    if (this.writes !== null) {
      this.writes.push(data);
      return false;
    }
    this.writes = [data];
    this.writeOffset = 0;
    this.pumpWrites();
    return this.writes === null;
  }

  /** Resolves when all queued bytes went out; rejects if the stream fails first. */
  whenWritten(): Promise<void> {
    if (this.writes === null) return this.error ? Promise.reject(this.error) : Promise.resolve();
    return new Promise<void>((resolve, reject) => (this.waiters ??= []).push({ resolve, reject }));
  }

  /** Half-close: sends FIN after any queued bytes. Reading goes on until the peer's FIN. */
  close(): void {
    if (this.error || this.state & (LOCAL_FIN | FIN_PENDING)) return;
    if (this.writes !== null) this.state |= FIN_PENDING;
    else this.sendFin();
  }

  /** Hard close: sends RST, drops buffered bytes, fails pending writes. */
  reset(): void {
    if (this.state & DONE) return;
    this.owner.sendWindowUpdate(this.id, Flag.RST, 0);
    this.fail(new YamuxResetError('stream reset (local)'));
  }

  /** Stops delivering data; bytes are buffered and the peer gets no new window for them. */
  pause(): void {
    this.paused = true;
  }

  /** Delivers buffered data and re-opens the window. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliverBuffered();
  }

  // ---- called by the session ----

  /** A piece of a Data frame body; `last` ends the frame. */
  receiveData(piece: Uint8Array, last: boolean): void {
    if (this.state & DONE) return;
    if (piece.length > 0) {
      if (this.handler && !this.paused && this.inbound === null) this.handler.onStreamData(piece);
      else {
        (this.inbound ??= []).push(piece);
        this.buffered += piece.length;
      }
    }
    if (last) this.maybeGrantWindow(false);
  }

  /** Flags of an inbound frame (after its body, so data precedes a FIN). */
  receiveFlags(flags: number): void {
    if (flags & Flag.ACK) this.state |= ACKED;
    if (flags & Flag.RST) {
      this.fail(new YamuxResetError('stream reset by peer'));
      return;
    }
    if (flags & Flag.FIN && !(this.state & (REMOTE_FIN | DONE))) {
      this.state |= REMOTE_FIN;
      this.maybeDeliverEnd();
      if (this.state & LOCAL_FIN) this.finish();
    }
  }

  /** A WindowUpdate delta (added without a cap, as hashicorp does). */
  receiveWindowUpdate(delta: number): void {
    this.sendWindow += delta;
    if (delta > 0 && this.writes !== null) this.pumpWrites();
  }

  /** Marks a stream the peer opened (our ACK goes out with the session's first frame for it). */
  markAccepted(): void {
    this.state |= ACKED;
  }

  /** Sends as much queued data as window and transport allow. */
  pumpWrites(): void {
    const writes = this.writes;
    if (writes === null || this.error) return;
    while (writes.length > 0) {
      if (this.sendWindow <= 0) return; // a WindowUpdate resumes us
      if (!this.owner.dataWritable) {
        this.owner.waitDrain(this);
        return;
      }
      const head = writes[0] as Uint8Array;
      const left = head.length - this.writeOffset;
      const n = Math.min(left, this.sendWindow);
      this.owner.sendData(this.id, this.writeOffset === 0 && n === head.length ? head : head.subarray(this.writeOffset, this.writeOffset + n));
      this.sendWindow -= n;
      if (n === left) {
        writes.shift();
        this.writeOffset = 0;
      } else this.writeOffset += n;
    }
    this.writes = null;
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters) for (const w of waiters) w.resolve();
    if (this.state & FIN_PENDING) {
      this.state &= ~FIN_PENDING;
      this.sendFin();
    }
  }

  /** Ends the stream with an error (reset, session end). Idempotent. */
  fail(error: Error): void {
    if (this.state & DONE) return;
    this.state |= DONE;
    this.error = error;
    this.inbound = null;
    this.buffered = 0;
    this.writes = null;
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters) for (const w of waiters) w.reject(error);
    this.owner.streamDone(this);
    this.handler?.onStreamError(error);
  }

  private sendFin(): void {
    this.state |= LOCAL_FIN;
    this.owner.sendWindowUpdate(this.id, Flag.FIN, 0);
    if (this.state & REMOTE_FIN) this.finish();
    else this.owner.awaitRemoteFin(this);
  }

  private finish(): void {
    if (this.state & DONE) return;
    this.state |= DONE;
    this.owner.streamDone(this);
  }

  private deliverBuffered(): void {
    const handler = this.handler;
    if (handler === null) return;
    const inbound = this.inbound;
    if (inbound !== null) {
      while (inbound.length > 0 && !this.paused && !(this.state & DONE)) {
        const piece = inbound.shift() as Uint8Array;
        this.buffered -= piece.length;
        handler.onStreamData(piece);
      }
      if (inbound.length > 0) return;
      if (this.inbound === inbound) this.inbound = null;
      this.maybeGrantWindow(false);
    }
    this.maybeDeliverEnd();
  }

  private maybeDeliverEnd(): void {
    if (!(this.state & REMOTE_FIN) || this.state & END_DELIVERED || this.inbound !== null || this.paused || !this.handler) return;
    this.state |= END_DELIVERED;
    this.handler.onStreamEnd();
  }

  /**
   * hashicorp's rule: grant `max - buffered - recvWindow` once it reaches half the max window,
   * so small reads do not each cost a WindowUpdate.
   */
  private maybeGrantWindow(force: boolean): void {
    if (this.state & (DONE | REMOTE_FIN)) return;
    const max = this.owner.maxWindow;
    const delta = max - this.buffered - this.recvWindow;
    if (delta <= 0 || (!force && delta < max / 2)) return;
    this.recvWindow += delta;
    this.owner.sendWindowUpdate(this.id, 0, delta);
  }
}
