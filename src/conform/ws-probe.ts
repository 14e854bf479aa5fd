/**
 * A WebSocket as a conformance check sees it: every message with its frame type, the close code
 * and reason, or the HTTP answer that refused the upgrade. Every wait is bounded; a probe never
 * throws for what the server does.
 */
import { WebSocket } from 'ws';
import { withTokens, type ProbeRequest } from './http-probe.js';

export interface WsMessage {
  data: Buffer;
  binary: boolean;
}

export interface WsClose {
  code: number;
  reason: string;
}

/** The upgrade was refused (or never answered: status 0). */
export interface WsRefused {
  ok: false;
  status: number;
  headers: Record<string, string>;
  text: string;
  error?: string;
}

export type WsOpenResult = { ok: true; probe: WsProbe; headers: Record<string, string> } | WsRefused;

export class WsProbe {
  readonly messages: WsMessage[] = [];
  /** Messages not yet taken by next(). */
  private unread = 0;
  private closeInfo: WsClose | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.messages.push({ data: Buffer.from(data), binary });
      this.unread++;
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  get closed(): WsClose | undefined {
    return this.closeInfo;
  }

  /** The next unread message, or undefined when none came within `ms` (or the socket closed). */
  async next(ms: number): Promise<WsMessage | undefined> {
    await this.until(() => this.unread > 0 || this.closeInfo !== undefined, ms);
    if (this.unread === 0) return undefined;
    const message = this.messages[this.messages.length - this.unread];
    this.unread--;
    return message;
  }

  /** All bytes received so far, concatenated (PTY output). */
  text(): string {
    return Buffer.concat(this.messages.map((m) => m.data)).toString('utf8');
  }

  /** Resolves true once `predicate` holds (checked on every message and close), false after `ms`. */
  until(predicate: () => boolean, ms: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), ms);
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
    });
  }

  /** The close code and reason, or undefined when the socket is still open after `ms`. */
  async waitClose(ms: number): Promise<WsClose | undefined> {
    await this.until(() => this.closeInfo !== undefined, ms);
    return this.closeInfo;
  }

  send(data: string | Buffer, binary = true): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof data === 'string' ? Buffer.from(data) : data, { binary });
  }

  /** Closes (1000) and waits, bounded, for the close to finish; then makes sure the socket is gone. */
  async close(ms: number): Promise<void> {
    if (this.closeInfo === undefined && this.ws.readyState !== WebSocket.CLOSED) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
      await this.waitClose(ms);
    }
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Opens a WebSocket to `req.path` on `baseUrl` with the request's tokens and headers. */
export function openWs(baseUrl: string, req: ProbeRequest, timeoutMs: number): Promise<WsOpenResult> {
  const { path, headers } = withTokens(req);
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + path, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs });
  const probe = new WsProbe(ws);
  return new Promise<WsOpenResult>((resolve) => {
    ws.once('upgrade', (res) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
      ws.once('open', () => resolve({ ok: true, probe, headers: out }));
    });
    ws.once('unexpected-response', (_request, res) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        ws.terminate();
        resolve({ ok: false, status: res.statusCode ?? 0, headers: out, text });
      });
      res.on('error', () => resolve({ ok: false, status: res.statusCode ?? 0, headers: out, text }));
    });
    ws.once('error', (error) => {
      ws.terminate();
      resolve({ ok: false, status: 0, headers: {}, text: '', error: (error as { code?: string }).code ?? error.message });
    });
  });
}
