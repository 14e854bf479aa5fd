/**
 * Pre-built server→client WebSocket frames for the coordinator's fan-out. A server frame is not
 * masked, so the same bytes (FIN + binary opcode, length, `[`…`]` payload) serve every recipient:
 * built once per update, written with one `socket.write` per recipient instead of ws's per-send
 * options object, header allocation and corked two-buffer writev.
 */
import type { WebSocket } from 'ws';

const FIN_BINARY = 0x82;

/** Header length for a payload of `n` bytes (RFC 6455 §5.2, unmasked). */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

function writeHeader(frame: Buffer, n: number): number {
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

/** A complete binary frame whose payload is `[` + `node` bytes + `]`. */
export function arrayFrameFromBytes(node: Buffer): Buffer {
  const n = node.length + 2;
  const frame = Buffer.allocUnsafe(headerLength(n) + n);
  const at = writeHeader(frame, n);
  frame[at] = 0x5b;
  node.copy(frame, at + 1);
  frame[at + 1 + node.length] = 0x5d;
  return frame;
}

/** A complete binary frame whose payload is the UTF-8 of `text`. */
export function frameFromText(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerLength(n) + n);
  frame.write(text, writeHeader(frame, n));
  return frame;
}

/** The payload of a frame built here (tests and lazy decoding). */
export function framePayload(frame: Buffer): Buffer {
  const len = frame[1] as number;
  return frame.subarray(len < 126 ? 2 : len === 126 ? 4 : 10);
}

interface WsInternals {
  _socket?: { write(chunk: Buffer): boolean } | null;
  _sender?: { _state?: number } | null;
}

/**
 * Writes a pre-built frame to an OPEN socket. ws keeps no per-message state for an unmasked,
 * uncompressed, unfragmented send (its Sender only queues while deflating, which is off here), so
 * writing the frame to the underlying socket is what `ws.send` would do, minus the overhead. If the
 * internals are not as expected, falls back to `ws.send` of the payload.
 */
export function writeFrame(ws: WebSocket, frame: Buffer): void {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  if (socket && internals._sender?._state === 0) socket.write(frame);
  else ws.send(framePayload(frame), { binary: true });
}
