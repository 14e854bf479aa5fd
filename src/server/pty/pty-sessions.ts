import type { WebSocket } from 'ws';
import { JsonStreamDecoder } from '../../protocol/json-stream.js';
import { OutputRing } from './output-ring.js';
import { applyPtyRequest, type PtyRequest } from './pty-request.js';
import { SimulatedShell } from './simulated-shell.js';

/** coderd copies agent output with a 32 KiB buffer: no message is larger (protocol §8.1). */
const MAX_MESSAGE = 32 * 1024;

export interface PtySessionsOptions {
  /** Output kept for replay to a reconnection with the same id (the agent's 64 KiB). */
  replayBytes?: number;
  /** A session dies this long after its last connection leaves (the agent's 5 min). */
  idleTimeoutMs?: number;
  /** WebSocket ping period (coderd's 15 s heartbeat); 0 turns it off. */
  heartbeatMs?: number;
}

export interface PtyAttachOptions {
  height: number;
  width: number;
  command: string;
  /** Shown in the prompt `coder@<hostname>:~$ `; defaults to the agent id. */
  hostname?: string;
}

interface Session {
  key: string;
  shell: SimulatedShell;
  ring: OutputRing;
  conns: Set<WebSocket>;
  idle?: NodeJS.Timeout;
  ended: boolean;
}

/**
 * The simulated reconnecting PTYs behind `GET /workspaceagents/{id}/pty` (protocol §5.15, §8): one
 * shell per (agent, reconnect id), shared by every connection with that id, with its recent
 * output replayed first to each new connection.
 */
export class PtySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<WebSocket>();
  private readonly replayBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly heartbeatMs: number;
  private closed = false;

  constructor(opts: PtySessionsOptions = {}) {
    this.replayBytes = opts.replayBytes ?? 65536;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
  }

  /** Live sessions (for tests and stats). */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Serves one accepted PTY socket (already upgraded, compression off). Binary frames carry the
   * request JSON stream in; output goes out as binary messages. Returns at once.
   */
  attach(agentId: string, reconnectId: string, opts: PtyAttachOptions, ws: WebSocket): void {
    if (this.closed) {
      ws.close(1001, 'server closing');
      return;
    }
    if (ws.readyState !== ws.OPEN) return; // closed before we got it: its 'close' already fired
    const key = `${agentId}\u0000${reconnectId}`;
    let session = this.sessions.get(key);
    const fresh = !session;
    if (!session) session = this.create(key, opts.hostname ?? agentId, opts);
    const s = session;
    if (s.idle) clearTimeout(s.idle);
    s.idle = undefined;
    // The agent resizes to the connection's initial size whether the session is new or not.
    s.shell.resize(opts.height, opts.width);
    if (!fresh) {
      const replay = s.ring.contents();
      for (let off = 0; off < replay.length; off += MAX_MESSAGE) ws.send(replay.subarray(off, off + MAX_MESSAGE));
    }
    s.conns.add(ws);
    this.sockets.add(ws);
    const heartbeat = this.heartbeatMs > 0 ? setInterval(() => ws.ping(), this.heartbeatMs) : undefined;
    heartbeat?.unref();

    const decoder = new JsonStreamDecoder({ maxBufferedBytes: 1 << 20 });
    const req: PtyRequest = { data: '', height: 0, width: 0 };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'unexpected frame type read (expected MessageBinary): MessageText');
        return;
      }
      if (s.ended) return;
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let texts: string[];
      try {
        texts = decoder.push(chunk);
      } catch {
        ws.close(1000); // the agent drops the connection on a decode error; coderd closes normally
        return;
      }
      for (const text of texts) {
        if (applyPtyRequest(req, text) !== undefined) {
          ws.close(1000);
          return;
        }
        s.shell.input(req.data);
        if (s.ended) return;
        if (req.height !== 0 && req.width !== 0) s.shell.resize(req.height, req.width);
      }
    });
    ws.on('close', () => {
      if (heartbeat) clearInterval(heartbeat);
      this.sockets.delete(ws);
      s.conns.delete(ws);
      if (s.conns.size === 0 && !s.ended && !this.closed) {
        s.idle = setTimeout(() => this.end(s), this.idleTimeoutMs);
        s.idle.unref();
      }
    });
    ws.on('error', () => ws.terminate());

    if (fresh) s.shell.start(opts.command);
  }

  /** Ends every session and closes every socket (1001). Idempotent. */
  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) {
      if (s.idle) clearTimeout(s.idle);
      s.ended = true;
    }
    this.sessions.clear();
    for (const ws of this.sockets) ws.close(1001, 'server closing');
  }

  private create(key: string, hostname: string, opts: PtyAttachOptions): Session {
    const s: Session = {
      key,
      ring: new OutputRing(this.replayBytes),
      conns: new Set(),
      ended: false,
      shell: undefined as unknown as SimulatedShell,
    };
    s.shell = new SimulatedShell({
      hostname,
      height: opts.height,
      width: opts.width,
      emit: (text) => this.broadcast(s, Buffer.from(text, 'utf8')),
      onExit: () => this.end(s),
    });
    this.sessions.set(key, s);
    return s;
  }

  private broadcast(s: Session, bytes: Buffer): void {
    s.ring.append(bytes);
    for (const ws of s.conns) {
      for (let off = 0; off < bytes.length; off += MAX_MESSAGE) ws.send(bytes.subarray(off, off + MAX_MESSAGE));
    }
  }

  /** The process ended (or idled out): every connection closes normally. */
  private end(s: Session): void {
    if (s.ended) return;
    s.ended = true;
    if (s.idle) clearTimeout(s.idle);
    if (this.sessions.get(s.key) === s) this.sessions.delete(s.key);
    for (const ws of s.conns) ws.close(1000);
  }
}
