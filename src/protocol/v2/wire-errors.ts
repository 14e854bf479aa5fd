/**
 * Typed failures of the v2 wire stack (docs/protocol-v2.md §1.7, §2.5, §2.6).
 *
 * Every error carries `errorClass`, a stable string a workload can use directly as the `class`
 * tag of an error metric: `drpc_<code>` for a dRPC Error packet, `yamux_rst`, `yamux_goaway`,
 * `yamux_closed`, `yamux_protocol`, `yamux_timeout`, `drpc_eof`, `drpc_protocol`, `timeout`,
 * `aborted`, `ws_close_<code>`.
 */

/** Base class: a wire failure with a metric-friendly class. */
export abstract class WireError extends Error {
  abstract readonly errorClass: string;
}

/** dRPC code `Unimplemented` (drpcerr), the only code Coder itself sends (protocol-v2 §2.5). */
export const DRPC_UNIMPLEMENTED = 12;

/**
 * A dRPC Error packet: 8-byte big-endian code + UTF-8 message (protocol-v2 §2.5). Thrown by clients when the
 * server answered with an Error packet; thrown by server handlers to send one (code 0 = no code).
 * `code` is a number (exact up to 2^53); `rawCode` keeps the full uint64.
 */
export class DrpcError extends WireError {
  override readonly name = 'DrpcError';
  readonly code: number;
  readonly rawCode: bigint;
  constructor(code: number | bigint, message: string) {
    super(message);
    this.rawCode = BigInt.asUintN(64, BigInt(code));
    this.code = Number(this.rawCode);
  }
  get errorClass(): string {
    return `drpc_${this.rawCode}`;
  }
}

/** The error Coder's generated stubs send for a method they do not implement (code 12). */
export function unimplementedError(): DrpcError {
  return new DrpcError(DRPC_UNIMPLEMENTED, 'Unimplemented');
}

/** The peer ended the RPC without the expected message (CloseSend/Close/FIN before a response). */
export class DrpcEofError extends WireError {
  override readonly name = 'DrpcEofError';
  readonly errorClass = 'drpc_eof';
}

/** The peer broke dRPC framing rules (id monotonicity, kind change, overflow, bad varint). */
export class DrpcProtocolError extends WireError {
  override readonly name = 'DrpcProtocolError';
  readonly errorClass = 'drpc_protocol';
}

/** The yamux stream was reset (RST received or sent, or refused at open). */
export class YamuxResetError extends WireError {
  override readonly name = 'YamuxResetError';
  readonly errorClass = 'yamux_rst';
}

/**
 * A GoAway: `remote` true when the peer sent it. Code 0 (normal) only stops new streams;
 * codes 1 (protocol error) and 2 (internal error) end the session.
 */
export class YamuxGoAwayError extends WireError {
  override readonly name = 'YamuxGoAwayError';
  readonly errorClass = 'yamux_goaway';
  constructor(
    readonly code: number,
    readonly remote: boolean,
    message?: string,
  ) {
    super(message ?? goAwayText(code, remote));
  }
}

function goAwayText(code: number, remote: boolean): string {
  if (code === 0) return remote ? 'remote end is not accepting connections' : 'session shutdown';
  const what = code === 1 ? 'protocol error' : code === 2 ? 'internal error' : `unexpected go away ${code}`;
  return remote ? `yamux: received go away (${what})` : `yamux: sent go away (${what})`;
}

/** The session ended (transport EOF, local close): every open stream fails with this. */
export class YamuxClosedError extends WireError {
  override readonly name = 'YamuxClosedError';
  readonly errorClass = 'yamux_closed';
}

/** The peer broke yamux framing rules (bad version/type, window exceeded, duplicate SYN). */
export class YamuxProtocolError extends WireError {
  override readonly name = 'YamuxProtocolError';
  readonly errorClass = 'yamux_protocol';
}

/** A yamux timer fired: keepalive ping unanswered, SYN never ACKed, FIN never answered. */
export class YamuxTimeoutError extends WireError {
  override readonly name = 'YamuxTimeoutError';
  readonly errorClass = 'yamux_timeout';
}

/** An RPC's own `timeoutMs` elapsed. */
export class RpcTimeoutError extends WireError {
  override readonly name = 'RpcTimeoutError';
  readonly errorClass = 'timeout';
}

/** An RPC was cancelled by its AbortSignal or by `cancel()`. */
export class RpcAbortedError extends WireError {
  override readonly name = 'RpcAbortedError';
  readonly errorClass = 'aborted';
}

/** The WebSocket under the session closed with a code other than 1000/1001 (protocol-v2 §1.5). */
export class WsClosedError extends WireError {
  override readonly name = 'WsClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`websocket closed: ${code}${reason ? ` ${reason}` : ''}`);
  }
  get errorClass(): string {
    return `ws_close_${this.code}`;
  }
}

/** `errorClass` of a wire error, `other` for anything else. */
export function wireErrorClass(error: unknown): string {
  return error instanceof WireError ? error.errorClass : 'other';
}
