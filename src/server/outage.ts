import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A coderd restart, as the fleet sees it: the listening port closes and every TCP connection
 * dies at once (HTTP keep-alive, in-flight requests, long polls, coordinate and PTY sockets),
 * then the same port accepts again. The server's state (agents, tokens, counters) lives on, as
 * coderd's lives in its database.
 *
 * Connections are tracked from the HTTP server's `connection` event because upgraded sockets
 * (WebSockets) are no longer the HTTP server's to close (`closeAllConnections` skips them).
 */
export class Outage {
  private readonly sockets = new Set<Socket>();
  private isDown = false;
  private transition: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly server: Server,
    private readonly listen: (server: Server) => Promise<void>,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Open connections to the server right now (what the target holds). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Stops listening and destroys every connection (the clients see resets and WebSocket 1006).
   * Resolves with how many connections were cut, once the port is closed. A second call while
   * down cuts nothing and returns 0.
   */
  takeDown(): Promise<number> {
    const step = this.transition.then(async () => {
      if (this.isDown) return 0;
      this.isDown = true;
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const cut = this.sockets.size;
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
      return cut;
    });
    this.transition = step.catch(() => undefined);
    return step;
  }

  /** Listens again on the same host and port (retrying briefly if the port lingers). */
  bringUp(): Promise<void> {
    const step = this.transition.then(async () => {
      if (!this.isDown) return;
      let lastError: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await this.listen(this.server);
          this.isDown = false;
          return;
        } catch (error) {
          lastError = error;
          await new Promise<void>((resolve) => setTimeout(resolve, 50));
        }
      }
      throw new Error(`could not listen again after the outage: ${(lastError as Error).message}`);
    });
    this.transition = step.catch(() => undefined);
    return step;
  }
}
