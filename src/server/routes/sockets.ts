/**
 * The three WebSocket routes (protocol §5.10, §5.13, §5.15): the HTTP pre-checks and nhooyr's
 * handshake rules here, then the socket goes to the coordinator or the PTY sessions.
 */
import type { WebSocket, WebSocketServer } from 'ws';
import { goQuote } from '../../protocol/go-json.js';
import { parseGoUuid } from '../go-text.js';
import type { Exchange } from '../http/reply.js';
import type { AgentCounters } from '../counters.js';
import type { ServerState } from '../state.js';
import { dbTime, type AgentRecord } from '../store.js';
import { requireConnected } from './agent-user.js';

/**
 * nhooyr v1.8.7 Accept checks that apply before the upgrade: a plain request gets 426, a
 * foreign Origin gets 403 (both plain text). Returns false when it answered.
 */
export function acceptable(s: ServerState, ex: Exchange): boolean {
  if (!ex.socket) {
    const connection = ex.req.headers.connection ?? '';
    s.responder.text(ex, 426, `WebSocket protocol violation: Connection header ${goQuote(connection)} does not contain Upgrade`, [
      'Connection',
      'Upgrade',
      'Upgrade',
      'websocket',
    ]);
    return false;
  }
  const origin = ex.req.headers.origin;
  if (origin) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    const host = ex.req.headers.host ?? '';
    if (originHost === undefined || originHost.toLowerCase() !== host.toLowerCase()) {
      s.responder.text(ex, 403, `request Origin ${goQuote(origin)} is not authorized for Host ${goQuote(host)}`);
      return false;
    }
  }
  return true;
}

/** Extra header pairs for a 101 answer (rate-limit headers), read by the wss 'headers' hook. */
export const upgradeHeaders = new WeakMap<object, string[]>();

export function upgrade(s: ServerState, ex: Exchange, then: (ws: WebSocket) => void, wss: WebSocketServer = s.wss): void {
  ex.done = true;
  const socket = ex.socket!;
  if (ex.extra) upgradeHeaders.set(ex.req, ex.extra);
  wss.handleUpgrade(ex.req, socket, ex.head ?? Buffer.alloc(0), (ws) => {
    if (s.closing) {
      ws.close(1001);
      return;
    }
    then(ws);
  });
}

/**
 * GET /me/coordinate. Store writes copy coderd's handler, which keeps first/last/disconnected
 * in local variables and writes all three (plus updated_at) at connect, every heartbeat and at
 * exit. Deliberately copied: when a second socket replaces the first, the old handler's exit
 * writes disconnected_at = now, so the agent reads `disconnected` until the new socket's next
 * heartbeat puts back the disconnected_at captured when it connected (protocol §6 reconnect race).
 */
export function agentCoordinate(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  if (!acceptable(s, ex)) return;
  const capturedDisconnectedAt = agent.disconnectedAt;
  upgrade(s, ex, (ws) => {
    s.store.count(agent).remoteAddress = ex.req.socket.remoteAddress;
    const connection = new AgentConnection(s, agent, ws, capturedDisconnectedAt);
    ws.once('close', () => connection.closed());
    s.coordinator.attachAgent(agent.id, ws);
  });
}

/**
 * One agent coordinate socket: coderd's handler-local first/last/disconnected times, written to
 * the agent at connect, on every heartbeat (the server's shared Heartbeats queue) and at exit.
 * One object per socket instead of a handful of closures and a setInterval.
 */
class AgentConnection {
  private readonly first: number;
  private last: number;
  private disconnected: number | undefined;
  private readonly counters: AgentCounters;
  private readonly heartbeat: { cancel(): void };

  constructor(
    private readonly s: ServerState,
    private readonly agent: AgentRecord,
    private readonly ws: WebSocket,
    private readonly capturedDisconnectedAt: number | undefined,
  ) {
    const now = dbTime(s.wallNow());
    this.first = agent.firstConnectedAt ?? now;
    this.last = now;
    this.disconnected = capturedDisconnectedAt;
    this.write(now);
    const counters = s.store.count(agent);
    this.counters = counters;
    counters.coordinateOpened++;
    counters.connected = true;
    s.totals.coordinateOpened++;
    agent.socket = ws;
    this.heartbeat = s.heartbeats.add(this);
  }

  /** Heartbeat tick. */
  beat(): void {
    const tick = dbTime(this.s.wallNow());
    this.last = tick;
    this.disconnected = this.capturedDisconnectedAt;
    this.write(tick);
  }

  closed(): void {
    this.heartbeat.cancel();
    const end = dbTime(this.s.wallNow());
    this.disconnected = end;
    this.write(end);
    this.counters.coordinateClosed++;
    this.s.totals.coordinateClosed++;
    if (this.agent.socket === this.ws) {
      this.agent.socket = undefined;
      this.counters.connected = false;
    }
  }

  private write(at: number): void {
    const agent = this.agent;
    agent.firstConnectedAt = this.first;
    agent.lastConnectedAt = this.last;
    agent.disconnectedAt = this.disconnected;
    agent.updatedAt = at;
    agent.revision++;
  }
}

/** GET /{id}/coordinate: no connected check; clients may wait for the agent. */
export function clientCoordinate(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  if (!acceptable(s, ex)) return;
  upgrade(s, ex, (ws) => {
    s.totals.clientCoordinateOpened++;
    ws.once('close', () => {
      s.totals.clientCoordinateClosed++;
    });
    s.coordinator.attachClient(agent.id, ws);
  });
}

/** Go strconv.ParseUint(v, 10, 16); anything else (also missing) falls back to 80. */
function uint16Or80(value: string | null): number {
  if (value === null || value === '' || !/^\d+$/.test(value)) return 80;
  const n = Number(value);
  return n <= 65535 ? n : 80;
}

/** GET /{id}/pty: status check first, then the query, then the upgrade (§5.15). */
export function pty(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  if (!requireConnected(s, ex, agent)) return;
  const params = new URLSearchParams(ex.query);
  const reconnect = parseGoUuid(params.get('reconnect') ?? '');
  if (!reconnect.ok) {
    return s.responder.error(ex, 400, "Query param 'reconnect' must be a valid UUID.", undefined, [{ field: 'reconnect', detail: 'invalid UUID' }]);
  }
  const height = uint16Or80(params.get('height'));
  const width = uint16Or80(params.get('width'));
  const command = params.get('command') ?? '';
  if (!acceptable(s, ex)) return;
  if (!s.ptys) return s.responder.error(ex, 500, 'An internal server error occurred.', 'pty sessions are not available');
  const ptys = s.ptys;
  upgrade(s, ex, (ws) => {
    s.totals.ptyOpened++;
    ptys.attach(agent.id, reconnect.uuid, { height, width, command }, ws);
  });
}
