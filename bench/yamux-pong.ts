/**
 * What a raw v2 socket must answer to stay open: the server pings each /me/rpc session (a yamux
 * ping, docs/protocol-v2.md §5.11) and closes one that does not answer within its inactive
 * timeout. bench:fleet's raw v2 baseline holds idle `/me/rpc` WebSockets that answer those
 * pings and nothing else; this reads yamux frames out of the bytes the server sent (which may
 * split or join frames across WebSocket messages) and returns the pongs to write back.
 */
const HEADER = 12;
const TYPE_DATA = 0;
const TYPE_PING = 2;
const FLAG_SYN = 1;
const FLAG_ACK = 2;

/** Per-socket parse state: bytes of an unfinished frame. Kept tiny (one per raw socket). */
export class YamuxPonger {
  private pending: Buffer | undefined;
  /** Payload bytes of a data frame still to skip. */
  private skip = 0;

  /** Feeds bytes from the server; returns the pong frames to send (empty when none). */
  feed(chunk: Buffer): Buffer[] {
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const pongs: Buffer[] = [];
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length);
        this.skip -= n;
        bytes = bytes.subarray(n);
      }
      if (this.skip > 0 || bytes.length === 0) return pongs;
      if (bytes.length < HEADER) {
        this.pending = Buffer.from(bytes);
        return pongs;
      }
      const type = bytes[1]!;
      const flags = bytes.readUInt16BE(2);
      const length = bytes.readUInt32BE(8);
      if (type === TYPE_PING && flags & FLAG_SYN) pongs.push(pongFor(length));
      // Only data frames carry a payload; for the others `length` is a value (window, ping id, code).
      if (type === TYPE_DATA) this.skip = length;
      bytes = bytes.subarray(HEADER);
    }
  }
}

/** A yamux ping answer: type 2, flag ACK, stream 0, the ping's opaque value. */
export function pongFor(opaque: number): Buffer {
  const out = Buffer.alloc(HEADER);
  out[0] = 0;
  out[1] = TYPE_PING;
  out.writeUInt16BE(FLAG_ACK, 2);
  out.writeUInt32BE(0, 4);
  out.writeUInt32BE(opaque >>> 0, 8);
  return out;
}
