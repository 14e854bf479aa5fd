/**
 * dRPC serving over accepted yamux streams (docs/protocol-v2.md §2.3, §2.4): each stream gets a
 * {@link ServerConn} that runs RPCs one after another, like drpcserver's ServeOne. A handler's
 * response goes out as Message then CloseSend (two writes, as Go flushes them); a thrown error
 * as one Error packet. When the client half-closes the yamux stream, the running RPC is aborted
 * and our side is closed too.
 */
import type { YamuxStream, YamuxStreamHandler } from './yamux-stream.js';
import { DrpcReader, PacketKind, encodePacket, type DrpcPacketSink } from './drpc-frame.js';
import { errorDataFor, encodeErrorData, methodName } from './drpc-packets.js';
import { DrpcEofError, type DrpcProtocolError, RpcAbortedError } from './wire-errors.js';
import { MessageQueue, type MessageListener, type QueueOwner } from './message-queue.js';
import { unknownRpcMessage, type DrpcRouter, type Route, type RpcContext, type ServerBidiStream } from './drpc-router.js';

const EMPTY = new Uint8Array(0);

/** One RPC being served. */
class ServerCall implements RpcContext, ServerBidiStream, QueueOwner {
  private nextId = 1;
  private ended = false; // we sent CloseSend, Close or Error
  private aborted = false;
  private started = false;
  private controller: AbortController | null = null;
  private queue: MessageQueue | null = null;

  constructor(
    private readonly conn: ServerConn,
    readonly streamId: number,
    readonly method: string,
    private readonly route: Route,
    readonly metadata: Uint8Array | undefined,
  ) {
    if (route.kind === 'bidi') {
      this.queue = new MessageQueue(this);
      this.start();
    }
  }

  /** Created on first use: most unary handlers never look at it. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted && !this.controller.signal.aborted) this.controller.abort(new RpcAbortedError('client went away'));
    return this.controller.signal;
  }

  get finished(): boolean {
    return this.ended || this.aborted;
  }

  onMessage(data: Uint8Array): void {
    if (this.queue) return this.queue.push(data);
    if (this.started) return; // a unary/server-stream handler reads one request only
    this.start(data);
  }

  onCloseSend(): void {
    if (this.queue) return this.queue.end();
    // drpcmux's MsgRecv returned EOF before any request: the handler never runs.
    if (!this.started) {
      this.started = true;
      this.sendError(new DrpcEofError('EOF'));
    }
  }

  /** The client went away or ended the RPC abruptly. */
  abort(reason: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(new RpcAbortedError(reason));
    this.queue?.end(new RpcAbortedError(reason));
  }

  // ServerBidiStream
  send(message: Uint8Array): Promise<void> {
    if (this.finished) return Promise.reject(new RpcAbortedError('rpc already ended'));
    return this.conn.write(encodePacket(PacketKind.Message, this.streamId, this.nextId++, message));
  }

  write(message: Uint8Array): boolean {
    if (this.finished) throw new RpcAbortedError('rpc already ended');
    return this.conn.stream.write(encodePacket(PacketKind.Message, this.streamId, this.nextId++, message));
  }

  whenWritten(): Promise<void> {
    return this.conn.stream.whenWritten();
  }

  close(): void {
    if (this.finished) return;
    this.ended = true;
    void this.conn.write(encodePacket(PacketKind.Close, this.streamId, this.nextId++)).catch(() => undefined);
  }

  recv(): Promise<Uint8Array | undefined> {
    return (this.queue as MessageQueue).recv();
  }

  listen(listener: MessageListener): void {
    (this.queue as MessageQueue).listen(listener);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return (this.queue as MessageQueue)[Symbol.asyncIterator]();
  }

  // QueueOwner
  pauseInbound(): void {
    this.conn.stream.pause();
  }
  resumeInbound(): void {
    this.conn.stream.resume();
  }
  recvStarted(): void {}
  abandon(): void {}

  private start(request?: Uint8Array): void {
    this.started = true;
    let result: unknown;
    try {
      const route = this.route;
      if (route.kind === 'unary') result = route.handler(request ?? EMPTY, this);
      else if (route.kind === 'server-stream') result = route.handler(request ?? EMPTY, this, this);
      else result = route.handler(this, this);
    } catch (error) {
      return this.sendError(error);
    }
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => this.complete(value),
        (error: unknown) => this.sendError(error),
      );
    } else this.complete(result);
  }

  private complete(value: unknown): void {
    if (this.finished) return;
    this.ended = true;
    if (this.route.kind === 'unary' && value instanceof Uint8Array) {
      void this.conn.write(encodePacket(PacketKind.Message, this.streamId, this.nextId++, value)).catch(() => undefined);
    }
    void this.conn.write(encodePacket(PacketKind.CloseSend, this.streamId, this.nextId++)).catch(() => undefined);
  }

  private sendError(error: unknown): void {
    if (this.finished) return;
    this.ended = true;
    void this.conn.write(encodePacket(PacketKind.Error, this.streamId, this.nextId++, errorDataFor(error))).catch(() => undefined);
  }
}

/** Serves the RPCs of one accepted yamux stream. */
export class ServerConn implements YamuxStreamHandler, DrpcPacketSink {
  private readonly reader: DrpcReader;
  private call: ServerCall | null = null;
  private metadata: Uint8Array | undefined;
  private metadataStream = 0;

  constructor(
    readonly stream: YamuxStream,
    private readonly router: DrpcRouter,
  ) {
    this.reader = new DrpcReader(this);
    stream.setHandler(this);
  }

  write(bytes: Uint8Array): Promise<void> {
    try {
      return this.stream.write(bytes) ? Promise.resolve() : this.stream.whenWritten();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  onStreamData(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  onStreamEnd(): void {
    // drpcserver reads EOF: the running RPC ends and the transport is closed (protocol-v2 §2.4).
    this.call?.abort('client closed the stream');
    this.stream.close();
  }

  onStreamError(error: Error): void {
    this.call?.abort(error.message);
  }

  onReaderError(error: DrpcProtocolError): void {
    this.call?.abort(error.message);
    this.stream.reset();
  }

  onPacket(kind: number, streamId: number, _messageId: number, control: boolean, data: Uint8Array): void {
    let call = this.call;
    if (call !== null && streamId !== call.streamId) {
      // A newer dRPC stream on the same transport replaces an unfinished one (drpcmanager).
      call.abort('superseded by a new stream');
      call = this.call = null;
    }
    switch (kind) {
      case PacketKind.InvokeMetadata:
        this.metadata = data;
        this.metadataStream = streamId;
        return;
      case PacketKind.Invoke:
        if (call !== null) return;
        return this.invoke(streamId, methodName(data));
      case PacketKind.Message:
        return call?.onMessage(data);
      case PacketKind.CloseSend:
        return call?.onCloseSend();
      case PacketKind.Close:
      case PacketKind.Cancel:
      case PacketKind.Error:
        return call?.abort(kind === PacketKind.Close ? 'remote closed the stream' : 'rpc cancelled by client');
      default:
        if (!control) call?.abort('internal error: unknown packet kind');
    }
  }

  private invoke(streamId: number, method: string): void {
    const metadata = this.metadataStream === streamId ? this.metadata : undefined;
    this.metadata = undefined;
    const route = this.router.lookup(method);
    if (route === undefined) {
      void this.write(encodePacket(PacketKind.Error, streamId, 1, encodeErrorData(0, unknownRpcMessage(method)))).catch(() => undefined);
      return;
    }
    this.call = new ServerCall(this, streamId, method, route, metadata);
  }
}

/** Serves every stream the session accepts: pass as the session's `onStream`. */
export function drpcStreamAcceptor(router: DrpcRouter): (stream: YamuxStream) => void {
  return (stream) => {
    new ServerConn(stream, router);
  };
}
