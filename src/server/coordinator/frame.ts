/**
 * Pre-built server→client WebSocket frames for the coordinator's fan-out. A server frame is not
 * masked, so the same bytes (FIN + binary opcode, length, `[`…`]` payload) serve every recipient:
 * built once per update, written with one `socket.write` per recipient instead of ws's per-send
 * options object, header allocation and corked two-buffer writev.
 */
import type { WebSocket } from 'ws';
import { directSocket, frameHeaderLength as headerLength, writeFrameHeader as writeHeader } from '../../protocol/ws-frame.js';

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

/**
 * Writes a pre-built frame to an OPEN socket: straight to the TCP socket when ws allows it
 * (`directSocket`), else `ws.send` of the payload.
 */
export function writeFrame(ws: WebSocket, frame: Buffer): void {
  const socket = directSocket(ws);
  if (socket) socket.write(frame);
  else ws.send(framePayload(frame), { binary: true });
}
