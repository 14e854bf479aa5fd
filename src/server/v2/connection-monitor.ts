import type { Beat } from '../heartbeats.js';
import type { ServerState } from '../state.js';
import { dbTime, type AgentRecord } from '../store.js';

/**
 * coderd's connection monitor for one /me/rpc session (docs/protocol-v2.md §5.11). It keeps the
 * handler-local first/last/disconnected times and writes all three to the agent at start, on
 * every tick and at exit, so (as in coderd) an older session's exit write can briefly overwrite
 * a newer session's view.
 *
 * Each tick (the server's heartbeat interval, coderd's AgentConnectionUpdateFrequency): if no
 * yamux pong arrived within the inactive timeout the session is closed ("ping timeout");
 * otherwise last_connected_at = now and disconnected_at is cleared; then the next ping goes out.
 * At exit disconnected_at = now, unless it is still set from an earlier disconnect (the session
 * ended before its first tick).
 */
export interface MonitoredLink {
  /** One yamux ping; resolves on the pong, rejects when the session fails. */
  ping(): Promise<unknown>;
  /** Ends the session (coderd closes the yamux session). */
  close(reason: string): void;
}

export class ConnectionMonitor implements Beat {
  private readonly first: number;
  private last: number;
  private disconnected: number | undefined;
  /** Wall time of the last pong (the agent dialed, so it counts as alive at start). */
  private lastPong: number;
  private pinging = false;
  private stopped = false;
  private readonly heartbeat: { cancel(): void };

  constructor(
    private readonly s: ServerState,
    private readonly agent: AgentRecord,
    private readonly link: MonitoredLink,
  ) {
    const now = dbTime(s.wallNow());
    this.first = agent.firstConnectedAt ?? now;
    this.last = now;
    this.disconnected = agent.disconnectedAt;
    this.lastPong = s.wallNow();
    this.write(now);
    this.heartbeat = s.heartbeats.add(this);
  }

  beat(): void {
    if (this.stopped) return;
    const wall = this.s.wallNow();
    if (wall - this.lastPong > this.s.opts.inactiveMs) {
      this.link.close('ping timeout');
      return;
    }
    const now = dbTime(wall);
    this.disconnected = undefined;
    this.last = now;
    this.write(now);
    if (this.pinging) return;
    this.pinging = true;
    this.link.ping().then(
      () => {
        this.pinging = false;
        this.lastPong = this.s.wallNow();
      },
      () => {
        this.pinging = false;
      },
    );
  }

  /** The session ended (any reason): the final write. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.heartbeat.cancel();
    const now = dbTime(this.s.wallNow());
    this.disconnected ??= now;
    this.write(now);
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
