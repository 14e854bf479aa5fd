import { once } from 'node:events';
import { WebSocket } from 'ws';
import { connectRpcClient, type RpcClientConnection } from '../../../src/protocol/v2/rpc-connection.js';
import { V2_WS_CLIENT_OPTIONS, wsByteStream } from '../../../src/protocol/v2/ws-byte-stream.js';

/** A minimal v2 client over loopback: WebSocket → byte stream → yamux client → dRPC client. */
export interface V2Client extends RpcClientConnection {
  ws: WebSocket;
}

export type DialResult = { ok: true; client: V2Client } | { ok: false; status: number; body: string };

/** Dials a v2 upgrade route; a refused upgrade resolves with its status and body. */
export async function dialV2(url: string, path: string, token: string | undefined, how: 'header' | 'cookie' = 'header'): Promise<DialResult> {
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    if (how === 'header') headers['Coder-Session-Token'] = token;
    else headers.Cookie = `coder_session_token=${token}`;
  }
  const ws = new WebSocket(url.replace(/^http/, 'ws') + path, { ...V2_WS_CLIENT_OPTIONS, headers });
  return new Promise<DialResult>((resolve, reject) => {
    ws.once('open', () => {
      const conn = connectRpcClient(wsByteStream(ws), { keepAliveIntervalMs: 0 });
      resolve({ ok: true, client: Object.assign(conn, { ws }) });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ ok: false, status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.once('error', (error) => reject(error));
  });
}

export async function mustDial(url: string, path: string, token: string | undefined): Promise<V2Client> {
  const result = await dialV2(url, path, token);
  if (!result.ok) throw new Error(`dial ${path}: ${result.status} ${result.body}`);
  return result.client;
}

/** Closes a client and waits for its socket to be closed. */
export async function closeClient(client: V2Client): Promise<void> {
  const closed = client.ws.readyState === WebSocket.CLOSED ? Promise.resolve() : once(client.ws, 'close');
  client.close();
  await closed;
}
