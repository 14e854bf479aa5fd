import WebSocket from 'ws';

/** Where and how one PTY connection is opened. */
export interface PtyDialOptions {
  /** Deployment base URL (http or https, no /api/v2). */
  baseUrl: string;
  agentId: string;
  reconnectId: string;
  width: number;
  height: number;
  command: string;
  /** The user API key; secret, never logged. */
  token: string;
  tokenIn: 'header' | 'cookie';
  handshakeTimeoutMs?: number;
  /** Local address the socket binds (`--source-addresses`); the system picks when absent. */
  localAddress?: string;
}

/**
 * An open PTY socket. The agent's replay (or the first prompt) can arrive in the same read as
 * the upgrade answer, before the caller had a chance to listen: those messages are held here
 * until `takeEarly()`, which the caller calls right after adding its own 'message' listener.
 */
export interface PtyConnection {
  ws: WebSocket;
  takeEarly(): Buffer[];
}

/** A failed dial: the HTTP status and coderd's `message` when the server answered. */
export class PtyDialError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'PtyDialError';
  }
}

/** `wss://host/api/v2/workspaceagents/<id>/pty?reconnect=&width=&height=&command=` (§8.1). */
export function ptyUrl(options: Pick<PtyDialOptions, 'baseUrl' | 'agentId' | 'reconnectId' | 'width' | 'height' | 'command'>): string {
  const base = options.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
  const query = new URLSearchParams({
    reconnect: options.reconnectId,
    width: String(options.width),
    height: String(options.height),
    command: options.command,
  });
  return `${base}/api/v2/workspaceagents/${encodeURIComponent(options.agentId)}/pty?${query.toString()}`;
}

/**
 * Opens one PTY WebSocket: compression off (coderd accepts without it), the token in the
 * `Coder-Session-Token` header or the `coder_session_token` cookie like the SDK and the browser.
 * Resolves with the open socket; rejects with a PtyDialError carrying the HTTP status and the
 * `message` of coderd's JSON answer when the upgrade was refused, or ws's error otherwise.
 */
export function dialPty(options: PtyDialOptions): Promise<PtyConnection> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> =
      options.tokenIn === 'header' ? { 'Coder-Session-Token': options.token } : { Cookie: `coder_session_token=${options.token}` };
    const ws = new WebSocket(ptyUrl(options), {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    ws.binaryType = 'nodebuffer';
    const early: Buffer[] = [];
    const hold = (data: Buffer | ArrayBuffer | Buffer[]): void => {
      early.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    };
    ws.on('message', hold);
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    ws.once('unexpected-response', (req, res) => {
      // Read a little of the body for coderd's message, then drop the connection.
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 2048) chunks.push(c);
        size += c.length;
      });
      const done = (): void => {
        req.destroy();
        fail(new PtyDialError(describe(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')), res.statusCode));
      };
      res.once('end', done);
      res.once('error', done);
      res.once('close', done);
    });
    ws.once('open', () => {
      settled = true;
      resolve({
        ws,
        takeEarly: () => {
          ws.off('message', hold);
          return early.splice(0);
        },
      });
    });
    ws.on('error', (error) => fail(error));
    ws.once('close', () => fail(new Error('WebSocket closed before it opened')));
  });
}

function describe(status: number, body: string): string {
  let message = body.slice(0, 200);
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return `HTTP ${status}: ${message}`;
}
