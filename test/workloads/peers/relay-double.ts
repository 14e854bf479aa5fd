import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/**
 * A test double of the coderd coordinator (protocol §7.4, single replica) over plain `ws`,
 * forwarding node bytes untouched. `dropEvery: n` silently skips the fan-out of every n-th agent
 * update (counted over all agents), to prove the peers ledger catches a lossy coordinator.
 */
export interface RelayDouble {
  url: string;
  /** Every message sent to clients, in order, per client connection. */
  clientMessages: string[][];
  /** Every message sent to agents, per agent connection. */
  agentMessages: { agentId: string; messages: string[] }[];
  dropped: number;
  close(): Promise<void>;
}

export interface RelayDoubleOptions {
  /** agent token → agent id */
  agentTokens: Map<string, string>;
  userToken: string;
  dropEvery?: number;
}

interface Client {
  ws: WebSocket;
  node?: string;
  log: string[];
}

const ME = '/api/v2/workspaceagents/me/coordinate';
const CLIENT_RE = /^\/api\/v2\/workspaceagents\/([^/]+)\/coordinate$/;

function tokenOf(req: IncomingMessage): string | undefined {
  const cookie = /(?:^|;\s*)coder_session_token=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
  const header = req.headers['coder-session-token'];
  return cookie || (typeof header === 'string' ? header : undefined);
}

const text = (data: RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)).toString();

export async function startRelayDouble(options: RelayDoubleOptions): Promise<RelayDouble> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const nodes = new Map<string, string>();
  const agentSockets = new Map<string, { ws: WebSocket; log: string[] }>();
  const clients = new Map<string, Set<Client>>();
  const relay: RelayDouble = { url: '', clientMessages: [], agentMessages: [], dropped: 0, close: async () => {} };
  let agentUpdates = 0;

  const serveAgent = (agentId: string, ws: WebSocket): void => {
    const entry = { ws, log: [] as string[] };
    relay.agentMessages.push({ agentId, messages: entry.log });
    const waiting = clients.get(agentId);
    if (waiting) {
      const message = `[${[...waiting].flatMap((c) => (c.node ? [c.node] : [])).join(',')}]`;
      entry.log.push(message);
      ws.send(Buffer.from(message));
    }
    agentSockets.get(agentId)?.ws.close(1000);
    agentSockets.set(agentId, entry);
    ws.on('message', (data) => {
      const node = text(data);
      nodes.set(agentId, node);
      agentUpdates++;
      if (options.dropEvery && agentUpdates % options.dropEvery === 0) {
        relay.dropped++;
        return;
      }
      for (const client of clients.get(agentId) ?? []) {
        client.log.push(`[${node}]`);
        client.ws.send(Buffer.from(`[${node}]`));
      }
    });
    ws.on('close', () => {
      if (agentSockets.get(agentId)?.ws !== ws) return;
      agentSockets.delete(agentId);
      nodes.delete(agentId);
    });
  };

  const serveClient = (agentId: string, ws: WebSocket): void => {
    const client: Client = { ws, log: [] };
    relay.clientMessages.push(client.log);
    const agentNode = nodes.get(agentId);
    if (agentNode) {
      client.log.push(`[${agentNode}]`);
      ws.send(Buffer.from(`[${agentNode}]`));
    }
    let set = clients.get(agentId);
    if (!set) clients.set(agentId, (set = new Set()));
    set.add(client);
    ws.on('message', (data) => {
      client.node = text(data);
      const agent = agentSockets.get(agentId);
      if (agent) {
        agent.log.push(`[${client.node}]`);
        agent.ws.send(Buffer.from(`[${client.node}]`));
      }
    });
    ws.on('close', () => set?.delete(client));
  };

  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const token = tokenOf(req);
    let serve: ((ws: WebSocket) => void) | undefined;
    if (path === ME) {
      const agentId = token ? options.agentTokens.get(token) : undefined;
      if (agentId) serve = (ws) => serveAgent(agentId, ws);
    } else {
      const agentId = CLIENT_RE.exec(path)?.[1];
      if (agentId && token === options.userToken) serve = (ws) => serveClient(agentId, ws);
    }
    if (!serve) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = serve;
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  relay.close = async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return relay;
}
