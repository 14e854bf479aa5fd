/**
 * Handlers by RPC path (`/coder.agent.v2.Agent/UpdateStats`), the role of drpcmux
 * (docs/protocol-v2.md §2.3-§2.5). Handlers receive and return opaque bytes; throwing a
 * DrpcError sends its code, anything else thrown is sent with code 0 and its message.
 */
import type { MessageListener } from './message-queue.js';
import { unimplementedError } from './wire-errors.js';

/** What every handler gets besides its messages. */
export interface RpcContext {
  readonly method: string;
  /** Aborted when the client goes away (yamux FIN/RST, Close, Cancel, session end). */
  readonly signal: AbortSignal;
  /** Raw InvokeMetadata payload if the client sent one (protocol-v2 §2.7), else undefined. */
  readonly metadata: Uint8Array | undefined;
}

/** The sending half a streaming handler gets. */
export interface ServerSendStream {
  /** Sends one Message packet; resolves once handed to yamux (window permitting). */
  send(message: Uint8Array): Promise<void>;
  /**
   * `send` without a promise, for a handler that writes many messages (the coordinator): true
   * when the Message went to yamux now, false when it waits for window or transport drain (it
   * still goes out, in order; `whenWritten()` tells when). Throws once the RPC has ended.
   */
  write(message: Uint8Array): boolean;
  /** Resolves once every message written so far went out; rejects if the stream fails first. */
  whenWritten(): Promise<void>;
  /**
   * Ends the RPC with a Close packet instead of the CloseSend sent when the handler returns
   * (Coder's StreamDERPMaps does this).
   */
  close(): void;
}

/** A bidirectional handler's stream: send plus receive (`recv()`, `for await`, `listen()`). */
export interface ServerBidiStream extends ServerSendStream, AsyncIterable<Uint8Array> {
  /** Next client message; `undefined` after the client's CloseSend. */
  recv(): Promise<Uint8Array | undefined>;
  listen(listener: MessageListener): void;
}

/** Returns the response, or undefined to send only CloseSend (like a Go handler's nil message). */
export type UnaryHandler = (request: Uint8Array, ctx: RpcContext) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
export type ServerStreamHandler = (request: Uint8Array, stream: ServerSendStream, ctx: RpcContext) => void | Promise<void>;
export type BidiHandler = (stream: ServerBidiStream, ctx: RpcContext) => void | Promise<void>;

/** A registered method. */
export type Route = { kind: 'unary'; handler: UnaryHandler } | { kind: 'server-stream'; handler: ServerStreamHandler } | { kind: 'bidi'; handler: BidiHandler };

export class DrpcRouter {
  private readonly routes = new Map<string, Route>();

  unary(method: string, handler: UnaryHandler): this {
    return this.add(method, { kind: 'unary', handler });
  }

  serverStream(method: string, handler: ServerStreamHandler): this {
    return this.add(method, { kind: 'server-stream', handler });
  }

  bidi(method: string, handler: BidiHandler): this {
    return this.add(method, { kind: 'bidi', handler });
  }

  /**
   * A method the service knows but does not implement: answers dRPC error 12 "Unimplemented",
   * like Coder's generated stubs. (A method never registered gets drpcmux's
   * `protocol error: unknown rpc: "<name>"` with code 0 instead.)
   */
  unimplemented(method: string): this {
    return this.unary(method, () => {
      throw unimplementedError();
    });
  }

  lookup(method: string): Route | undefined {
    return this.routes.get(method);
  }

  /** Registered method names. */
  get methods(): string[] {
    return [...this.routes.keys()];
  }

  private add(method: string, route: Route): this {
    if (this.routes.has(method)) throw new Error(`rpc ${method} registered twice`);
    this.routes.set(method, route);
    return this;
  }
}

/** drpcmux's answer to a method nobody registered (protocol-v2 §2.5): code 0. */
export function unknownRpcMessage(method: string): string {
  return `protocol error: unknown rpc: ${JSON.stringify(method)}`;
}
