import { describe, expect, it } from 'vitest';
import { ResponseFramer } from '../../bench/http-response-framer.js';

const response = (status: number, body: string, extra = ''): string =>
  `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('ResponseFramer', () => {
  it('splits pipelined responses that arrive in one chunk', () => {
    const f = new ResponseFramer();
    expect(f.push(Buffer.from(response(200, '{"a":1}') + response(404, 'no') + response(200, '')))).toEqual([200, 404, 200]);
  });
  it('reassembles a response cut anywhere, byte by byte', () => {
    const bytes = Buffer.from(response(200, '{"id":"ä"}') + response(201, 'xy'));
    const f = new ResponseFramer();
    const seen: number[] = [];
    for (let i = 0; i < bytes.length; i++) seen.push(...f.push(bytes.subarray(i, i + 1)));
    expect(seen).toEqual([200, 201]);
  });
  it('reads the length header in any case and keeps a partial body for the next chunk', () => {
    const f = new ResponseFramer();
    expect(f.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length:  5\r\n\r\nab'))).toEqual([]);
    expect(f.push(Buffer.from('cdeHTTP/1.0 500 E\r\nCONTENT-LENGTH: 0\r\n\r\n'))).toEqual([200, 500]);
  });
  it('does not take another header ending in content-length for the length', () => {
    const f = new ResponseFramer();
    expect(f.push(Buffer.from(response(200, 'abc', 'X-Content-Length: 99\r\n')))).toEqual([200]);
  });
  it('refuses what it cannot frame', () => {
    expect(() => new ResponseFramer().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))).toThrow(/Content-Length/);
    expect(() => new ResponseFramer().push(Buffer.from('SSH-2.0\r\n\r\n'))).toThrow(/not an HTTP/);
  });
});
