/**
 * Splits a keep-alive HTTP/1.1 byte stream into responses, for `bench:proxy`'s fixed-rate REST
 * sender: a raw socket writing a prebuilt GET costs the generator a fraction of what a full
 * client (undici, autocannon) does, so the fixed-rate leg measures the path, not the client.
 * Only what the reference server sends is understood: a status line, headers, and a body framed
 * by `Content-Length`. Anything else (chunked bodies, a response without a length) throws, so
 * the bench fails loudly instead of miscounting.
 */

const HEADER_END = Buffer.from('\r\n\r\n');
const LENGTH_RE = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i;

export class ResponseFramer {
  private pending: Buffer = Buffer.alloc(0);
  /** Body bytes still owed by the response being read, or -1 while its headers are incomplete. */
  private bodyLeft = -1;
  private status = 0;

  /** Feeds the next chunk; returns the status code of every response it completed, in order. */
  push(chunk: Buffer): number[] {
    const done: number[] = [];
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      if (this.bodyLeft < 0) {
        const end = buf.indexOf(HEADER_END);
        if (end < 0) break;
        const head = buf.toString('latin1', 0, end);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (!status) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
        const length = LENGTH_RE.exec(head);
        if (!length) throw new Error('response without Content-Length (chunked bodies are not supported)');
        this.status = Number(status[1]);
        this.bodyLeft = Number(length[1]);
        buf = buf.subarray(end + HEADER_END.length);
      }
      if (buf.length < this.bodyLeft) {
        this.bodyLeft -= buf.length;
        buf = buf.subarray(buf.length);
        break;
      }
      buf = buf.subarray(this.bodyLeft);
      this.bodyLeft = -1;
      done.push(this.status);
    }
    this.pending = buf.length > 0 ? Buffer.from(buf) : Buffer.alloc(0);
    return done;
  }
}
