import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { OutputRing } from '../../src/server/pty/output-ring.js';
import { PtySessions, type PtySessionsOptions } from '../../src/server/pty/pty-sessions.js';
import { eventually } from '../helpers/eventually.js';

const PROMPT = 'coder@agent-1:~$ ';

interface Harness {
  url: string;
  sessions: PtySessions;
  close(): Promise<void>;
}

async function startServer(opts: PtySessionsOptions = {}): Promise<Harness> {
  const sessions = new PtySessions(opts);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://x');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sessions.attach(
        u.searchParams.get('agent') ?? 'agent-1',
        u.searchParams.get('reconnect') ?? '',
        {
          height: Number(u.searchParams.get('height') ?? 80),
          width: Number(u.searchParams.get('width') ?? 80),
          command: u.searchParams.get('command') ?? '',
          hostname: 'agent-1',
        },
        ws,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/pty`,
    sessions,
    close: async () => {
      sessions.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A PTY client that records every output message and the close code. */
class Client {
  readonly messages: Buffer[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string, query: Record<string, string>) {
    this.ws = new WebSocket(`${url}?${new URLSearchParams(query)}`, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
        this.notify();
      });
    });
    this.ws.on('message', (data: Buffer, isBinary) => {
      expect(isBinary).toBe(true);
      this.messages.push(Buffer.from(data));
      this.notify();
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.messages);
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `pred` holds (checked after every message); rejects after 5 s. */
  async until(pred: (c: Client) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!pred(this)) {
      if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) while waiting for ${what}; got ${JSON.stringify(this.text.slice(-200))}`);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.text.slice(-200))}`)),
          Math.max(1, deadline - Date.now()),
        );
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  untilText(s: string): Promise<void> {
    return this.until((c) => c.text.includes(s), JSON.stringify(s));
  }

  /** Sends raw bytes as one binary frame. */
  sendRaw(s: string): void {
    this.ws.send(Buffer.from(s, 'utf8'), { binary: true });
  }
  send(req: object): void {
    this.sendRaw(JSON.stringify(req));
  }

  async close(): Promise<void> {
    if (this.closeCode === undefined) this.ws.close();
    await this.closed;
  }
}

let h: Harness;
const clients: Client[] = [];
function connect(query: Record<string, string>): Client {
  const c = new Client(h.url, query);
  clients.push(c);
  return c;
}

describe('PtySessions over a real WebSocket', () => {
  beforeEach(async () => {
    h = await startServer({ idleTimeoutMs: 60_000 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await h.close();
  });

  it('prints a prompt, echoes typing and runs builtins', async () => {
    const c = connect({ reconnect: 'r1' });
    await c.untilText(PROMPT);
    c.send({ data: 'echo "hello  world"\r', height: 24, width: 80 });
    await c.untilText(`echo "hello  world"\r\nhello  world\r\n${PROMPT}`);
    c.send({ data: 'pwd\rwhoami\rnope --x\r' });
    await c.untilText(`pwd\r\n/home/coder\r\n${PROMPT}whoami\r\ncoder\r\n${PROMPT}nope --x\r\nnope: command not found\r\n${PROMPT}`);
    c.send({ data: 'ab\x7fc\x1b[A\r' }); // backspace and an arrow key
    await c.untilText(`ab\b \bc\r\nac: command not found`);
  });

  it('accepts requests split across and packed into frames', async () => {
    const c = connect({ reconnect: 'r1' });
    await c.untilText(PROMPT);
    c.sendRaw('{"data":"ec');
    c.sendRaw('ho a\\r"}{"DATA":"echo');
    c.sendRaw(' b\\r"}\n{"data":"echo c\\r"}');
    await c.untilText(`a\r\n${PROMPT}echo b\r\nb\r\n${PROMPT}echo c\r\nc\r\n${PROMPT}`);
  });

  it('resizes on non-zero height and width, and keeps the last size for keys left out', async () => {
    const c = connect({ reconnect: 'r1', height: '24', width: '80' });
    await c.untilText(PROMPT);
    c.send({ data: 'stty size\r' });
    await c.untilText('24 80\r\n');
    c.send({ data: '', height: 30, width: 100 });
    c.send({ data: 'tput lines\r' });
    await c.untilText('30\r\n');
    // A second connection resizes the shared PTY to its own initial size...
    const d = connect({ reconnect: 'r1', height: '50', width: '60' });
    await d.untilText(PROMPT);
    c.send({ data: 'stty size\r' });
    await c.untilText('50 60\r\n');
    // ...and the first connection's reused struct still holds 30x100, so that request (no size
    // keys) resized back after its write.
    c.send({ data: 'stty size\r', height: 0, width: 0 });
    await c.untilText('30 100\r\n');
    // 0 means "no resize", also when only one of them is 0.
    c.send({ data: '', height: 10, width: 0 });
    c.send({ data: 'tput cols\r' });
    await c.untilText('tput cols\r\n100\r\n');
  });

  it('replays earlier output to a reconnection with the same id only', async () => {
    const a = connect({ reconnect: 'same' });
    await a.untilText(PROMPT);
    a.send({ data: 'echo remember-me\r' });
    await a.untilText(`remember-me\r\n${PROMPT}`);
    await a.close();
    expect(h.sessions.size).toBe(1);

    const b = connect({ reconnect: 'same' });
    await b.untilText(`remember-me\r\n${PROMPT}`);
    expect(b.text).toBe(a.text); // the replay is exactly what was shown before
    b.send({ data: 'echo again\r' });
    await b.untilText(`again\r\n${PROMPT}`);

    const other = connect({ reconnect: 'different' });
    await other.untilText(PROMPT);
    other.send({ data: 'echo x\r' });
    await other.untilText(`x\r\n${PROMPT}`);
    expect(other.text).not.toContain('remember-me');
    expect(h.sessions.size).toBe(2);
  });

  it('shares one session between connections', async () => {
    const a = connect({ reconnect: 'shared' });
    await a.untilText(PROMPT);
    const b = connect({ reconnect: 'shared' });
    await b.untilText(PROMPT);
    b.send({ data: 'echo both\r' });
    await a.untilText(`both\r\n${PROMPT}`);
    await b.untilText(`both\r\n${PROMPT}`);
  });

  it('caps the replay at 64 KiB and sends no message over 32 KiB', async () => {
    const a = connect({ reconnect: 'big' });
    await a.untilText(PROMPT);
    a.send({ data: 'seq 20000\r' }); // ~109 KB of output
    await a.untilText(`20000\r\n${PROMPT}`);
    expect(a.bytes.length).toBeGreaterThan(100_000);
    expect(Math.max(...a.messages.map((m) => m.length))).toBeLessThanOrEqual(32 * 1024);
    await a.close();

    const b = connect({ reconnect: 'big' });
    await b.until((c) => c.bytes.length >= 65536, 'the replay');
    b.send({ data: '\r' });
    await b.until((c) => c.bytes.length >= 65536 + 2 + PROMPT.length, 'the new prompt');
    const all = a.bytes;
    expect(b.bytes.subarray(0, 65536).equals(all.subarray(all.length - 65536))).toBe(true);
    expect(b.bytes.subarray(65536).toString()).toBe(`\r\n${PROMPT}`);
  });

  it('closes with 1003 on a text frame', async () => {
    const c = connect({ reconnect: 'r1' });
    await c.untilText(PROMPT);
    c.ws.send('{"data":"x"}'); // a string is sent as a text frame
    expect(await c.closed).toBe(1003);
  });

  it('closes with 1000 on malformed JSON, keeping the session', async () => {
    const c = connect({ reconnect: 'r1' });
    await c.untilText(PROMPT);
    c.sendRaw('{"data": 5}');
    expect(await c.closed).toBe(1000);
    expect(h.sessions.size).toBe(1);
  });

  it('ends the session on exit: every connection closes with 1000', async () => {
    const a = connect({ reconnect: 'bye' });
    await a.untilText(PROMPT);
    const b = connect({ reconnect: 'bye' });
    await b.untilText(PROMPT);
    a.send({ data: 'exit\r' });
    expect(await a.closed).toBe(1000);
    expect(await b.closed).toBe(1000);
    expect(h.sessions.size).toBe(0);
    const again = connect({ reconnect: 'bye' });
    await again.untilText(PROMPT);
    expect(again.text).toBe(PROMPT); // a new session, nothing replayed
  });

  it('runs a one-shot command, shows its output, then closes with 1000', async () => {
    const c = connect({ reconnect: 'cmd', command: 'echo hello from command' });
    expect(await c.closed).toBe(1000);
    expect(c.text).toBe('hello from command\r\n');
    expect(h.sessions.size).toBe(0);
  });

  it('close() closes every socket', async () => {
    const c = connect({ reconnect: 'r1' });
    await c.untilText(PROMPT);
    h.sessions.close();
    expect(await c.closed).toBe(1001);
    expect(h.sessions.size).toBe(0);
  });
});

describe('idle timeout', () => {
  beforeEach(async () => {
    h = await startServer({ idleTimeoutMs: 20 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await h.close();
  });

  it('drops a session after its last connection leaves', async () => {
    const a = connect({ reconnect: 'idle' });
    await a.untilText(PROMPT);
    a.send({ data: 'echo old\r' });
    await a.untilText(`old\r\n${PROMPT}`);
    await a.close();
    await eventually(() => h.sessions.size === 0, 'the session dropped');
    const b = connect({ reconnect: 'idle' });
    await b.untilText(PROMPT);
    expect(b.text).toBe(PROMPT);
  });
});

describe('OutputRing', () => {
  it('keeps the last capacity bytes across chunk boundaries', () => {
    const r = new OutputRing(5);
    r.append(Buffer.from('abc'));
    r.append(Buffer.from('defg'));
    expect(r.contents().toString()).toBe('cdefg');
    r.append(Buffer.from('0123456789'));
    expect(r.contents().toString()).toBe('56789');
    expect(r.length).toBe(5);
    expect(new OutputRing(0).contents().length).toBe(0);
  });
});
