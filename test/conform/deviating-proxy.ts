/**
 * A test double for `fleetsim conform`: a loopback HTTP + WebSocket proxy in front of the
 * embedded server that passes everything through unchanged, except what the current hooks
 * rewrite. Each test installs one deliberate deviation and expects the conformance check that
 * covers it to FAIL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent, request } from 'undici';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProxyHooks {
  /** Rewrites a plain HTTP answer (not 101s). */
  http?(method: string, path: string, answer: HttpAnswer): HttpAnswer;
  /** Rewrites the headers of a 101 answer. */
  upgradeHeaders?(path: string, headers: Record<string, string>): Record<string, string>;
  /** Rewrites a WebSocket message; `toServer` tells the direction. */
  message?(path: string, toServer: boolean, data: Buffer, binary: boolean): { data: Buffer; binary: boolean };
}

export interface DeviatingProxy {
  url: string;
  hooks: ProxyHooks;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'host']);

function forwardHeaders(headers: IncomingHttpHeaders, drop: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP.has(name) || drop(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/** A close code that may be sent in a close frame (1005/1006 may not). */
const sendable = (code: number): boolean =>
  code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);

export async function startDeviatingProxy(upstream: string): Promise<DeviatingProxy> {
  const hooks: ProxyHooks = {};
  const dispatcher = new Agent({ connections: 32 });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      request(upstream + (req.url ?? '/'), {
        dispatcher,
        method: req.method as 'GET',
        headers: forwardHeaders(req.headers, () => false),
        body: body.length > 0 || req.method === 'POST' ? body : undefined,
      })
        .then(async (up) => {
          let answer: HttpAnswer = { status: up.statusCode, headers: flatHeaders(up.headers), body: await up.body.text() };
          answer = hooks.http?.(req.method ?? 'GET', req.url ?? '/', answer) ?? answer;
          res.writeHead(answer.status, answer.headers).end(answer.body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = req.url ?? '/';
    const up = new WebSocket(upstream.replace(/^http/, 'ws') + path, {
      headers: forwardHeaders(req.headers, (n) => n.startsWith('sec-websocket')),
      perMessageDeflate: false,
      maxPayload: 0,
    });
    up.on('error', () => socket.destroy());
    up.once('unexpected-response', (_r, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let answer: HttpAnswer = { status: res.statusCode ?? 502, headers: flatHeaders(res.headers), body: text };
        answer = hooks.http?.(req.method ?? 'GET', path, answer) ?? answer;
        const lines = [
          `HTTP/1.1 ${answer.status} ${res.statusMessage ?? ''}`,
          ...Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}`),
          `Content-Length: ${Buffer.byteLength(answer.body)}`,
          'Connection: close',
        ];
        socket.end(`${lines.join('\r\n')}\r\n\r\n${answer.body}`);
        up.terminate();
      });
    });
    up.once('upgrade', (res) => {
      let extra = flatHeaders(res.headers);
      for (const name of Object.keys(extra)) if (name.startsWith('sec-websocket')) delete extra[name];
      extra = hooks.upgradeHeaders?.(path, extra) ?? extra;
      up.once('open', () => {
        const onHeaders = (headers: string[], r: unknown): void => {
          if (r === req) for (const [k, v] of Object.entries(extra)) headers.push(`${k}: ${v}`);
        };
        wss.on('headers', onHeaders);
        wss.handleUpgrade(req, socket, head, (client) => {
          wss.off('headers', onHeaders);
          pipe(path, client, up, true);
          pipe(path, up, client, false);
        });
      });
    });
  });
  const pipe = (path: string, from: WebSocket, to: WebSocket, toServer: boolean): void => {
    from.on('message', (data: RawData, binary: boolean) => {
      let msg: { data: Buffer; binary: boolean } = { data: Buffer.from(data as Buffer), binary };
      msg = hooks.message?.(path, toServer, msg.data, msg.binary) ?? msg;
      if (to.readyState === WebSocket.OPEN) to.send(msg.data, { binary: msg.binary });
    });
    from.on('close', (code: number, reason: Buffer) => {
      if (to.readyState !== WebSocket.OPEN) return void to.terminate();
      if (sendable(code)) to.close(code, reason);
      else to.close();
    });
    from.on('error', () => to.terminate());
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hooks,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
    },
  };
}
