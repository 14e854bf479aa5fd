import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeNode, encodeNode } from '../../protocol/node-codec.js';

/**
 * The coordinator benchmark's baseline: a bare `ws` hub with the coordinator's fan-out and nothing
 * else. It forwards each agent message's bytes, wrapped as `[` … `]`, to the peers registered
 * for that agent (and a peer's bytes to its agent), keeps the latest agent bytes for peers that
 * connect later, and never parses, validates or re-encodes. Same URLs and token handling as the
 * reference server, so the same load drives both.
 */
export interface RawRelay {
  url: string;
  close(): Promise<void>;
}

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
const ME = '/api/v2/workspaceagents/me/coordinate';
const PREFIX = '/api/v2/workspaceagents/';
const SUFFIX = '/coordinate';
const SEND = { binary: true } as const;

function tokenOf(req: IncomingMessage): string | undefined {
  const cookie = /(?:^|;\s*)coder_session_token=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
  const header = req.headers['coder-session-token'];
  return cookie || (typeof header === 'string' ? header : undefined);
}

const bytes = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

export async function startRawRelay(options: {
  /** agent token → agent id */
  agentTokens: ReadonlyMap<string, string>;
  userToken: string;
  host?: string;
  port?: number;
  /**
   * 'raw' (default): forward bytes. 'strict': decode every agent node with the server's Go-strict
   * codec and re-encode it (attribution experiment: how much of the coordinator's cost is the
   * codec rather than the rest of the server).
   */
  codec?: 'raw' | 'strict';
}): Promise<RawRelay> {
  const strict = options.codec === 'strict';
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 32768 });
  const agents = new Map<string, WebSocket>();
  const latest = new Map<string, Buffer>();
  const peers = new Map<string, Set<WebSocket>>();

  const serveAgent = (agentId: string, ws: WebSocket): void => {
    agents.get(agentId)?.close(1000);
    agents.set(agentId, ws);
    ws.on('message', (data) => {
      const message = strict ? Buffer.from(`[${encodeNode(decodeNode(bytes(data).toString()))}]`) : Buffer.concat([OPEN, bytes(data), CLOSE]);
      latest.set(agentId, message);
      for (const peer of peers.get(agentId) ?? []) peer.send(message, SEND);
    });
    ws.on('close', () => {
      if (agents.get(agentId) !== ws) return;
      agents.delete(agentId);
      latest.delete(agentId);
    });
  };

  const servePeer = (agentId: string, ws: WebSocket): void => {
    const snapshot = latest.get(agentId);
    if (snapshot) ws.send(snapshot, SEND);
    let set = peers.get(agentId);
    if (!set) peers.set(agentId, (set = new Set()));
    set.add(ws);
    ws.on('message', (data) => agents.get(agentId)?.send(Buffer.concat([OPEN, bytes(data), CLOSE]), SEND));
    ws.on('close', () => set?.delete(ws));
  };

  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const token = tokenOf(req);
    let serve: ((ws: WebSocket) => void) | undefined;
    if (path === ME) {
      const agentId = token === undefined ? undefined : options.agentTokens.get(token);
      if (agentId) serve = (ws) => serveAgent(agentId, ws);
    } else if (path.startsWith(PREFIX) && path.endsWith(SUFFIX) && token === options.userToken) {
      const agentId = path.slice(PREFIX.length, -SUFFIX.length);
      serve = (ws) => servePeer(agentId, ws);
    }
    if (!serve) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = serve;
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  await new Promise<void>((resolve) => http.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 }, resolve));
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${(http.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
