/**
 * dRPC client over a yamux session, as Coder's `drpcsdk.MultiplexedConn` does it
 * (docs/protocol-v2.md §2.3, §2.4): every RPC opens its own yamux stream, uses dRPC stream id 1
 * and numbers its packets from message id 1; the stream is half-closed (FIN) when the RPC ends.
 * Cancellation closes the yamux stream; no Cancel packet is sent (Coder does not set SoftCancel).
 */
import type { TimerClock, TimerHandle } from '../../core/clock.js';
import type { YamuxSession } from './yamux-session.js';
import type { YamuxStream, YamuxStreamHandler } from './yamux-stream.js';
import { DrpcReader, PacketKind, encodePacket, type DrpcPacketSink } from './drpc-frame.js';
import { decodeErrorData, encodeSequence, methodBytes } from './drpc-packets.js';
import { DrpcEofError, DrpcProtocolError, RpcAbortedError, RpcTimeoutError } from './wire-errors.js';
import { MessageQueue, type MessageListener, type QueueOwner } from './message-queue.js';

/** Per-call options. */
export interface CallOptions {
  /** Aborting cancels the call (rejects with RpcAbortedError, class `aborted`). */
  signal?: AbortSignal;
  /**
   * Rejects with RpcTimeoutError (class `timeout`) and closes the stream after this long, on the
   * session's clock (YamuxSessionOptions.timers).
   */
  timeoutMs?: number;
  /** Unary calls: called once the request has been written to its yamux stream (at once, or
   * when flow control let it out); ends the time the call spent queued on this side. */
  onWritten?: () => void;
}

const STREAM_ID = 1;
const ignoreError = (): void => {};
const EMPTY = new Uint8Array(0);

/** Shared plumbing: the yamux stream, the packet reader, timeout and abort. */
abstract class ClientCall implements YamuxStreamHandler, DrpcPacketSink {
  protected readonly reader: DrpcReader;
  protected nextId = 1;
  protected settled = false;
  private timer: TimerHandle | undefined;
  private timeoutMs = 0;
  private signal: AbortSignal | undefined;

  constructor(
    protected readonly stream: YamuxStream,
    options: CallOptions | undefined,
    private readonly clock: TimerClock,
  ) {
    this.reader = new DrpcReader(this);
    stream.setHandler(this);
    if (options?.timeoutMs !== undefined && options.timeoutMs > 0) {
      this.timeoutMs = options.timeoutMs;
      this.timer = clock.setTimeout(ClientCall.onTimeout, options.timeoutMs, this);
    }
    const signal = options?.signal;
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this, { once: true });
    }
  }

  /** Timer callback; static with the call as its argument, so arming allocates no closure. */
  private static onTimeout(self: ClientCall): void {
    self.timer = undefined;
    self.fail(new RpcTimeoutError(`rpc timed out after ${self.timeoutMs} ms`));
  }

  /** AbortSignal listener (an object, not a closure). */
  handleEvent(): void {
    const reason = this.signal?.reason;
    this.fail(new RpcAbortedError(reason instanceof Error ? reason.message : 'rpc aborted', { cause: reason }));
  }

  onStreamData(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  onReaderError(error: DrpcProtocolError): void {
    this.fail(error);
  }

  onStreamEnd(): void {
    if (!this.settled) this.fail(new DrpcEofError('unexpected EOF: stream closed before the rpc ended'));
  }

  onStreamError(error: Error): void {
    if (!this.settled) this.settle(error, false);
  }

  abstract onPacket(kind: number, streamId: number, messageId: number, control: boolean, data: Uint8Array): void;

  /** Ends the call with an error and closes our side of the stream. */
  protected fail(error: Error): void {
    if (!this.settled) this.settle(error, true);
  }

  /** Marks the call over; `closeStream` sends our FIN. Subclasses deliver the outcome. */
  protected settle(error: Error | undefined, closeStream: boolean): void {
    this.settled = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this);
    this.signal = undefined;
    if (closeStream) this.stream.close();
    this.deliver(error);
  }

  protected abstract deliver(error: Error | undefined): void;

  protected writeBytes(bytes: Uint8Array): Promise<void> {
    try {
      return this.stream.write(bytes) ? Promise.resolve() : this.stream.whenWritten();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A packet kind this side does not expect: ignorable with the control bit, fatal without. */
  protected unexpected(kind: number, control: boolean): void {
    if (!control) this.fail(new DrpcProtocolError(`internal error: unexpected packet kind ${kind}`));
  }
}

class UnaryCall extends ClientCall {
  private response: Uint8Array | null = null;
  private peerDone = false; // server sent CloseSend or Close: no Close packet needed from us
  private finishQueued = false;
  private resolve!: (value: Uint8Array) => void;
  private reject!: (error: Error) => void;
  readonly promise: Promise<Uint8Array>;

  constructor(stream: YamuxStream, method: string, request: Uint8Array, options: CallOptions | undefined, clock: TimerClock) {
    super(stream, options, clock);
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Invoke(1) Message(2) CloseSend(3) in one write, as drpc flushes them together (protocol-v2 §2.4).
    this.nextId = 4;
    const sent = this.writeBytes(
      encodeSequence(STREAM_ID, 1, PacketKind.Invoke, methodBytes(method), PacketKind.Message, request, PacketKind.CloseSend, EMPTY),
    );
    const onWritten = options?.onWritten;
    if (onWritten) sent.then(onWritten, ignoreError);
    sent.catch((error: Error) => this.fail(error));
  }

  onPacket(kind: number, _streamId: number, _messageId: number, control: boolean, data: Uint8Array): void {
    if (this.settled) return;
    switch (kind) {
      case PacketKind.Message:
        if (this.response === null) {
          this.response = data;
          // The server's CloseSend usually arrives in the same read; wait for it so no Close
          // packet is needed (Go's client is racy the same way).
          if (!this.finishQueued) {
            this.finishQueued = true;
            queueMicrotask(() => this.finish());
          }
        }
        return;
      case PacketKind.Error:
        this.peerDone = true;
        return this.fail(decodeErrorData(data));
      case PacketKind.CloseSend:
      case PacketKind.Close:
        this.peerDone = true;
        if (this.response === null) this.fail(new DrpcEofError('EOF: server ended the rpc without a response'));
        return;
      default:
        this.unexpected(kind, control);
    }
  }

  private finish(): void {
    if (this.settled) return;
    // Go's stream.Close(): a Close packet unless both sides already sent CloseSend.
    if (!this.peerDone) {
      try {
        this.stream.write(encodePacket(PacketKind.Close, STREAM_ID, this.nextId++));
      } catch {
        // the stream failed meanwhile; the response stands
      }
    }
    this.settle(undefined, true);
  }

  protected deliver(error: Error | undefined): void {
    if (error) this.reject(error);
    else this.resolve(this.response as Uint8Array);
  }
}

/**
 * A streaming RPC (server-streaming or bidirectional). Read with `recv()`, `for await`, or
 * `listen()`; write with `send()` (bidi) and `closeSend()`. Await or catch every returned
 * promise.
 */
export class DrpcClientStream extends ClientCall implements QueueOwner, AsyncIterable<Uint8Array> {
  private readonly queue: MessageQueue;
  private corkedInvoke: Uint8Array | null;
  private sentCloseSend: boolean;
  private recvCloseSend = false;

  /** @internal use {@link DrpcClient.serverStream} / {@link DrpcClient.bidi}. */
  constructor(stream: YamuxStream, method: string, request: Uint8Array | null, options: CallOptions | undefined, clock: TimerClock) {
    super(stream, options, clock);
    this.queue = new MessageQueue(this);
    if (request !== null) {
      this.corkedInvoke = null;
      this.sentCloseSend = true;
      this.nextId = 4;
      void this.writeBytes(
        encodeSequence(STREAM_ID, 1, PacketKind.Invoke, methodBytes(method), PacketKind.Message, request, PacketKind.CloseSend, EMPTY),
      ).catch((error: Error) => this.fail(error));
    } else {
      // drpc corks the Invoke until the first send or receive (protocol-v2 §2.2).
      this.corkedInvoke = methodBytes(method);
      this.sentCloseSend = false;
    }
  }

  /** Sends one message (bidi). Resolves once it is handed to yamux (window permitting). */
  send(message: Uint8Array): Promise<void> {
    if (this.settled || this.sentCloseSend) return Promise.reject(this.sendError());
    const invoke = this.corkedInvoke;
    this.corkedInvoke = null;
    if (invoke !== null) {
      this.nextId = 3;
      return this.writeBytes(encodeSequence(STREAM_ID, 1, PacketKind.Invoke, invoke, PacketKind.Message, message));
    }
    return this.writeBytes(encodePacket(PacketKind.Message, STREAM_ID, this.nextId++, message));
  }

  /** "I will send no more"; the RPC ends when the server has said the same. */
  closeSend(): Promise<void> {
    if (this.settled || this.sentCloseSend) return Promise.resolve();
    this.sentCloseSend = true;
    const invoke = this.corkedInvoke;
    this.corkedInvoke = null;
    const bytes =
      invoke !== null
        ? encodeSequence(STREAM_ID, 1, PacketKind.Invoke, invoke, PacketKind.CloseSend, EMPTY)
        : encodePacket(PacketKind.CloseSend, STREAM_ID, this.nextId++);
    if (invoke !== null) this.nextId = 3;
    const sent = this.writeBytes(bytes);
    this.maybeFinished();
    return sent;
  }

  /** Next message; `undefined` once the server ended cleanly; rejects with a typed error. */
  recv(): Promise<Uint8Array | undefined> {
    return this.queue.recv();
  }

  /** Callback mode instead of `recv()` (no promise per message). */
  listen(listener: MessageListener): void {
    this.queue.listen(listener);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Cancels: pending and later reads reject with RpcAbortedError; the yamux stream is closed. */
  cancel(reason = 'rpc cancelled'): void {
    this.fail(new RpcAbortedError(reason));
  }

  /** Terminates now with a Close packet (drpc `stream.Close()`); reads end cleanly. */
  close(): void {
    if (this.settled) return;
    this.flushCork();
    try {
      this.stream.write(encodePacket(PacketKind.Close, STREAM_ID, this.nextId++));
    } catch {
      // already failing
    }
    this.settle(undefined, true);
  }

  onPacket(kind: number, _streamId: number, _messageId: number, control: boolean, data: Uint8Array): void {
    if (this.settled) return;
    switch (kind) {
      case PacketKind.Message:
        if (!this.recvCloseSend) this.queue.push(data);
        return;
      case PacketKind.CloseSend:
        this.recvCloseSend = true;
        this.queue.end();
        return this.maybeFinished();
      case PacketKind.Close:
        return this.settle(undefined, true);
      case PacketKind.Error:
        return this.fail(decodeErrorData(data));
      default:
        this.unexpected(kind, control);
    }
  }

  // QueueOwner
  pauseInbound(): void {
    this.stream.pause();
  }
  resumeInbound(): void {
    this.stream.resume();
  }
  recvStarted(): void {
    this.flushCork();
  }
  abandon(): void {
    this.cancel('consumer stopped reading');
  }

  protected deliver(error: Error | undefined): void {
    this.queue.end(error);
  }

  private maybeFinished(): void {
    if (this.sentCloseSend && this.recvCloseSend && !this.settled) this.settle(undefined, true);
  }

  private flushCork(): void {
    const invoke = this.corkedInvoke;
    if (invoke === null || this.settled) return;
    this.corkedInvoke = null;
    this.nextId = 2;
    void this.writeBytes(encodePacket(PacketKind.Invoke, STREAM_ID, 1, invoke)).catch((error: Error) => this.fail(error));
  }

  private sendError(): Error {
    return this.stream.failure ?? new DrpcEofError(this.settled ? 'rpc already ended' : 'send after closeSend');
  }
}

/** Client for one yamux session; cheap to create (it only holds the session). */
export class DrpcClient {
  constructor(readonly session: YamuxSession) {}

  /**
   * One request, one response. Rejects with DrpcError (class `drpc_<code>`) when the server
   * answered with an Error packet, DrpcEofError when it ended without a response, or the yamux
   * error (`yamux_rst`, `yamux_goaway`, `yamux_closed`) when the stream or session failed.
   */
  unary(method: string, request: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    let stream: YamuxStream;
    try {
      stream = this.session.open();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new UnaryCall(stream, method, request, options, this.session.timers).promise;
  }

  /** One request, a stream of responses. Throws like `unary` when no stream can be opened. */
  serverStream(method: string, request: Uint8Array, options?: CallOptions): DrpcClientStream {
    return new DrpcClientStream(this.session.open(), method, request, options, this.session.timers);
  }

  /** Both sides stream; the Invoke goes out with the first `send`, `closeSend` or read. */
  bidi(method: string, options?: CallOptions): DrpcClientStream {
    return new DrpcClientStream(this.session.open(), method, null, options, this.session.timers);
  }
}
