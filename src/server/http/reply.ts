import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { coderResponse, type ValidationError } from '../../protocol/codersdk-response.js';
import { encodeGoJson, goHtmlEscape } from '../../protocol/go-json.js';

/**
 * One request in flight: either a normal request with a ServerResponse, or an upgrade request
 * with its raw socket (pre-upgrade errors are then written as plain HTTP on that socket).
 */
export interface Exchange {
  req: IncomingMessage;
  res?: ServerResponse;
  socket?: Duplex;
  head?: Buffer;
  /** URL path without the query. */
  path: string;
  /** Raw query text after `?` ('' when none). */
  query: string;
  /** Extra header pairs (rate-limit headers) added to whatever answer is written. */
  extra?: string[];
  /** Set once an answer has been written. */
  done?: boolean;
}

/**
 * encodeGoJson's output, faster: plain JSON.stringify (V8's fast path, no replacer call per key)
 * gives the same text for any value without a bigint, and throws on a bigint, which then takes
 * encodeGoJson's replacer path.
 */
export function fastGoJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return encodeGoJson(value);
  }
  return goHtmlEscape(text ?? 'null') + '\n';
}

/**
 * Writes answers with coderd's headers (protocol §1.1): Go-encoded JSON, `Content-Type:
 * application/json; charset=utf-8` and `X-Coder-Build-Version` on every response. Header lists
 * are precomputed; bodies passed as Buffers are written as is.
 */
export class Responder {
  private readonly jsonHeaders: string[];
  private readonly baseHeaders: string[];
  readonly nullBody = Buffer.from('null\n');

  constructor(readonly buildVersion: string) {
    this.jsonHeaders = ['Content-Type', 'application/json; charset=utf-8', 'X-Coder-Build-Version', buildVersion];
    this.baseHeaders = ['X-Coder-Build-Version', buildVersion];
  }

  /** Encodes a value with Go's encoding (for bodies that are not cached). */
  encode(value: unknown): Buffer {
    return Buffer.from(fastGoJson(value));
  }

  json(ex: Exchange, status: number, body: Buffer, more?: string[]): void {
    let headers = this.jsonHeaders.concat('Content-Length', String(body.length));
    if (ex.extra) headers = headers.concat(ex.extra);
    if (more) headers = headers.concat(more);
    this.write(ex, status, headers, body);
  }

  /** A codersdk.Response error body. */
  error(ex: Exchange, status: number, message: string, detail?: string, validations?: ValidationError[], more?: string[]): void {
    this.json(ex, status, this.encode(coderResponse(message, detail, validations)), more);
  }

  /** 204 (content type kept, as Go's writer sets it before WriteHeader) or chi's bare 405. */
  empty(ex: Exchange, status: number): void {
    let headers = status === 204 ? this.jsonHeaders.slice() : this.baseHeaders.concat('Content-Length', '0');
    if (ex.extra) headers = headers.concat(ex.extra);
    this.write(ex, status, headers, undefined);
  }

  /** Plain text as Go's http.Error writes it (nhooyr's handshake errors). */
  text(ex: Exchange, status: number, text: string, more: string[] = []): void {
    const body = Buffer.from(`${text}\n`);
    let headers = this.baseHeaders.concat(
      'Content-Type',
      'text/plain; charset=utf-8',
      'X-Content-Type-Options',
      'nosniff',
      'Content-Length',
      String(body.length),
      ...more,
    );
    if (ex.extra) headers = headers.concat(ex.extra);
    this.write(ex, status, headers, body);
  }

  private write(ex: Exchange, status: number, headers: string[], body: Buffer | undefined): void {
    if (ex.done) return;
    ex.done = true;
    if (ex.res) {
      const res = ex.res;
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    const socket = ex.socket;
    if (!socket || socket.destroyed) return;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nDate: ${new Date().toUTCString()}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    head += 'Connection: close\r\n\r\n';
    socket.end(body && status !== 204 ? Buffer.concat([Buffer.from(head), body]) : head);
  }
}

export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads a request body up to `limit` bytes. Larger bodies stop reading at once (`too-large`);
 * a client that goes away mid-body gives `aborted`, so no handler ever sees half a body.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => readBodyThen(req, limit, resolve));
}

const TOO_LARGE: BodyResult = { kind: 'too-large' };
const ABORTED: BodyResult = { kind: 'aborted' };

/**
 * readBody with a callback, for the hot path: no promise, and the listeners are anonymous inline
 * closures (tsx's keep-names helper redefines `name` on every named closure).
 * `done` is called exactly once.
 */
export function readBodyThen(req: IncomingMessage, limit: number, done: (result: BodyResult) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    done(TOO_LARGE);
    return;
  }
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  req.on('data', (chunk: Buffer): void => {
    if (settled) return;
    size += chunk.length;
    if (size > limit) {
      req.pause();
      settled = true;
      done(TOO_LARGE);
      return;
    }
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on('end', (): void => {
    if (settled) return;
    settled = true;
    done({ kind: 'ok', body: more ? Buffer.concat(more, size) : (first ?? EMPTY) });
  });
  // Two inline copies rather than one `const` closure: see above (keep-names).
  req.on('error', (): void => {
    if (settled) return;
    settled = true;
    done(ABORTED);
  });
  req.on('close', (): void => {
    if (settled) return;
    settled = true;
    done(ABORTED);
  });
}

const EMPTY = Buffer.alloc(0);
