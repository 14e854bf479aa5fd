/**
 * The floor `bench:proxy` holds the fault proxy to: the barest TCP relay Node offers (accept,
 * connect, `pipe()` both ways, Nagle off, half-close carried, nothing else). Hosted in the same
 * process as the proxy, it shows in every run what relaying bytes through a Node process costs
 * at all, so the proxy's own cost is what it spends beyond this.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface BareRelay {
  readonly port: number;
  close(): Promise<void>;
}

export async function startBareRelay(target: { host: string; port: number }): Promise<BareRelay> {
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    track(client);
    track(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
