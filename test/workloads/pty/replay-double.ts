import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

/**
 * A tiny stand-in for coderd's PTY route (protocol §8): echoes each `{"data":...}` with "\r"
 * turned into "\r\n", keeps every session's output, and on a reconnect with the same id replays
 * the last 64 KiB first. `corruptReplays` replays (the first ones) get byte `corruptAt` flipped.
 */
export async function startReplayDouble(options: { corruptReplays: number; corruptAt: number }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sessions = new Map<string, Buffer[]>();
  const sockets = new Set<WebSocket>();
  let corruptLeft = options.corruptReplays;
  let replays = 0;
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('reconnect') ?? '';
    let log = sessions.get(id);
    const emit = (bytes: Buffer): void => {
      log!.push(bytes);
      ws.send(bytes);
    };
    if (log) {
      const replay = Buffer.from(Buffer.concat(log).subarray(-65536));
      if (corruptLeft > 0 && replay.length > options.corruptAt) {
        corruptLeft--;
        replay[options.corruptAt] = replay[options.corruptAt]! ^ 0x20;
      }
      replays++;
      ws.send(replay);
    } else {
      log = [];
      sessions.set(id, log);
      emit(Buffer.from('$ '));
    }
    ws.on('message', (data) => {
      const req = JSON.parse(String(data)) as { data?: string };
      if (req.data) emit(Buffer.from(req.data.replace(/\r/g, '\r\n')));
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get replays() {
      return replays;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
