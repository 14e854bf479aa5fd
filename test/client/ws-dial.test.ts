import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinateDialError, dialWebSocket } from '../../src/client/ws-dial.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A raw HTTP server whose upgrade handler is the test's (so it can answer byte by byte). */
async function rawServer(onUpgrade: (key: string, socket: Duplex) => void): Promise<{ url: string; server: Server; sockets: Set<Duplex> }> {
  const sockets = new Set<Duplex>();
  const server = createServer();
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    onUpgrade(String(req.headers['sec-websocket-key']), socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, sockets };
}

describe('dialWebSocket', () => {
  let open: Awaited<ReturnType<typeof rawServer>> | undefined;
  afterEach(async () => {
    if (!open) return;
    for (const socket of open.sockets) socket.destroy();
    await new Promise((resolve) => open?.server.close(resolve));
    open = undefined;
  });

  it('runs onOpen inside the open event, so a frame sent with the 101 is not lost', async () => {
    open = await rawServer((key, socket) => {
      const accept = createHash('sha1')
        .update(key + WS_GUID)
        .digest('base64');
      const payload = Buffer.from('hello');
      // The handshake answer and a first (unmasked, text) frame in one write.
      socket.write(
        Buffer.concat([
          Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`),
          Buffer.from([0x81, payload.length]),
          payload,
        ]),
      );
    });
    const first = await dialWebSocket(open.url, { perMessageDeflate: false }, (ws) => {
      return new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    });
    expect(await first).toBe('hello');
  });

  it('rejects a plain HTTP answer with its status and the start of its body', async () => {
    open = await rawServer((_key, socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{"message":"x"}');
    });
    const error = await dialWebSocket(open.url, {}, () => 'opened').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoordinateDialError);
    expect(error).toMatchObject({ statusCode: 403, body: '{"message":"x"}' });
  });

  it('turns a handshake timeout into ETIMEDOUT', async () => {
    open = await rawServer(() => undefined);
    const error = await dialWebSocket(open.url, { handshakeTimeout: 50 }, () => 'opened').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoordinateDialError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', statusCode: undefined });
  });
});
