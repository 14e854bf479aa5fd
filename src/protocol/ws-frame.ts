/**
 * Unmasked binary WebSocket frames built by hand (RFC 6455 §5.2), for server-side hot paths that
 * write a frame to the socket in one `socket.write` instead of through `ws.send` (which allocates
 * an options object and a header per message and writes header and payload as a corked writev).
 * A server's frames are not masked, so the bytes are the same as ws would send.
 */
import type { WebSocket } from 'ws';

const FIN_BINARY = 0x82;

/** Header length for a payload of `n` bytes (unmasked). */
export function frameHeaderLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes a FIN + binary header for an `n`-byte payload at the start of `frame`; returns its length. */
export function writeFrameHeader(frame: Buffer, n: number): number {
  frame[0] = FIN_BINARY;
  if (n < 126) {
    frame[1] = n;
    return 2;
  }
  if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
  frame.writeUInt32BE(n >>> 0, 6);
  return 10;
}

/** A complete unmasked binary frame carrying `payload` (small frames come from Node's buffer pool). */
export function binaryFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const frame = Buffer.allocUnsafe(frameHeaderLength(n) + n);
  frame.set(payload, writeFrameHeader(frame, n));
  return frame;
}

interface WsInternals {
  _isServer?: boolean;
  _socket?: { write(chunk: Buffer, callback?: (error?: Error | null) => void): boolean } | null;
  _sender?: { _state?: number } | null;
}

/**
 * The socket a pre-built frame may be written to directly, or undefined (then use `ws.send`):
 * ws keeps no per-message state for an unmasked, uncompressed, unfragmented send — its Sender
 * only queues while it compresses or reads a Blob (`_state` ≠ 0) — so writing the whole frame
 * to the socket is what `ws.send` would do. Only a server socket (clients must mask) and only
 * while the internals are as expected.
 */
export function directSocket(ws: WebSocket): WsInternals['_socket'] | undefined {
  const internals = ws as unknown as WsInternals;
  return internals._isServer === true && internals._sender?._state === 0 ? (internals._socket ?? undefined) : undefined;
}
