/**
 * The opening handshake shared by every client WebSocket dial (the v1 coordinate socket and the v2
 * `/me/rpc` session): resolve with the open socket, or reject with a {@link CoordinateDialError}
 * that carries the HTTP status and the start of the body when the server answered the upgrade
 * with plain HTTP (what callers classify failures by), `ETIMEDOUT` for a handshake timeout, or the
 * network error as it came.
 */
import type { IncomingMessage } from 'node:http';
import { type ClientOptions, WebSocket } from 'ws';

/** A failed dial: `statusCode` is set when the server answered the upgrade with plain HTTP. */
export class CoordinateDialError extends Error {
  override readonly name = 'CoordinateDialError';
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
    /** The start of the response body (a codersdk.Response JSON for coderd errors). */
    readonly body?: string,
  ) {
    super(message);
  }
}

/** How much of an error response body a dial failure keeps. */
const MAX_BODY = 4096;

/**
 * Opens `url` with `options` (headers, timeouts and payload limits are the caller's) and resolves
 * with what `onOpen` makes of the open socket. `onOpen` runs synchronously inside the `open`
 * event, after the dial's own `error` and `unexpected-response` listeners are removed, so the
 * caller's listeners are in place before any message can be emitted (a server may send in the
 * same segment as its 101). On failure the socket is terminated and every listener removed.
 */
export function dialWebSocket<T>(url: string, options: ClientOptions, onOpen: (ws: WebSocket) => T): Promise<T> {
  const ws = new WebSocket(url, options);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      reject(error);
    };
    ws.on('unexpected-response', (req, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      const done = (): void => {
        req.destroy();
        fail(new CoordinateDialError(`Unexpected server response: ${status}`, status, undefined, body.slice(0, MAX_BODY)));
      };
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    });
    ws.on('error', (error: Error) => {
      if (/handshake has timed out/i.test(error.message)) fail(new CoordinateDialError(error.message, undefined, 'ETIMEDOUT'));
      else fail(error);
    });
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners('error');
      ws.removeAllListeners('unexpected-response');
      resolve(onOpen(ws));
    });
  });
}
