/**
 * fleetsim's own TCP proxy between the fleet and a target (embedded or a real Coder), so the
 * incidents that matter against any target can be replayed: coderd restarts (refuse), load
 * balancer resets (reset), slow or lossy links (latency, bandwidth, blackhole), lingering
 * closes (slow-close). Agents, peers and REST all speak HTTP/1.1 and WebSocket over TCP, so a
 * byte-level proxy covers them all without parsing anything.
 */
import { sourceAddressAt } from '../../core/source-addresses.js';
import { createServer, type Server, type Socket } from 'node:net';
import { createRng, type Rng } from '../../core/rng.js';
import { isToxicAction, type ProxyAction } from './actions.js';
import { ProxyConnection, rst, type AppliedToxic } from './connection.js';
import { backgroundClock, type TimerClock, type TimerHandle } from '../../core/clock.js';
import { pickNew, pickOpen } from './selection.js';

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Loopback by default: the fleet runs on this machine. */
  listenHost?: string;
  /** 0 (default) picks a free port; a refuse action reopens the same one. */
  port?: number;
  clock?: TimerClock;
  /** Seeds which connections a `fraction` picks and the latency jitter. */
  rng?: Rng;
  /**
   * Source addresses of the proxy's own connections to the target (`--source-addresses`),
   * round-robin by connection: the proxy is one process dialing one `ip:port` for the whole
   * fleet, so it needs them as much as the fleet does.
   */
  localAddresses?: readonly string[];
}

/** A running action. It ends by itself after its duration (if > 0), or when `end()` is called. */
export interface ActionHandle {
  readonly action: ProxyAction;
  /** Connections it touched when applied (reset, attached a toxic, or tore down for refuse). */
  readonly affected: number;
  /** Ends it now (idempotent): toxics come off, a refused port reopens. */
  end(): void;
  /** Settles once the action has ended and its effect is undone (for refuse: listening again). */
  readonly finished: Promise<void>;
}

/** Counters since the proxy started. */
export interface FaultProxyStats {
  /** Client connections accepted. */
  opened: number;
  /** Client connections fully closed (both sockets). */
  closed: number;
  /** Connections torn down with an RST by a reset action. */
  reset: number;
  /** Connections torn down because a refuse action took the target down. */
  refused: number;
  /** Connections the proxy could not open to the target (the client got an RST). */
  targetFailed: number;
  /** Bytes read from clients (client → target). */
  bytesUpstream: number;
  /** Bytes read from the target (target → client). */
  bytesDownstream: number;
  /** Client connections open now. */
  open: number;
  peakOpen: number;
  /** Connections open to the target now: what the target itself sees. */
  targetOpen: number;
  peakTargetOpen: number;
  /** Open connections with a direction on the per-chunk (toxic) path: 0 means all run as pipes. */
  toxicConnections: number;
  /** Bytes held inside the proxy (latency queues, throttled data). */
  pendingBytes: number;
  activeActions: number;
  /** False while a refuse action keeps the port closed. */
  listening: boolean;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** `base` (default `http://host:port`) with its host and port replaced by the proxy's. */
  url(base?: string): string;
  /** Starts an action now (the caller schedules `at`, see schedule.ts). */
  apply(action: ProxyAction): ActionHandle;
  /** Ends every running action. */
  clear(): void;
  stats(): FaultProxyStats;
  /** Ends every action, closes the port and every connection. */
  close(): Promise<void>;
}

/** One applied action: its window, the connections it holds, and the handle the caller gets. */
interface Window extends AppliedToxic, ActionHandle {
  readonly action: ProxyAction;
  readonly selected: Set<ProxyConnection>;
  affected: number;
}

/** `base` (default `http://host:port`) with its host and port replaced by the proxy's. */
export function proxiedUrl(host: string, port: number, base = `http://${host}:${port}`): string {
  const u = new URL(base);
  u.hostname = host.includes(':') ? `[${host}]` : host;
  u.port = String(port);
  const text = u.toString();
  // new URL('http://h:1') renders 'http://h:1/': keep the caller's form.
  return !base.endsWith('/') && u.pathname === '/' && !u.search && !u.hash ? text.slice(0, -1) : text;
}

export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const clock = options.clock ?? backgroundClock();
  const rng = options.rng ?? createRng('fault-proxy');
  const host = options.listenHost ?? '127.0.0.1';
  const open = new Set<ProxyConnection>();
  const windows = new Set<Window>();
  const counters = { opened: 0, closed: 0, reset: 0, refused: 0, targetFailed: 0, peakOpen: 0, targetOpen: 0, peakTargetOpen: 0 };
  const closedBytes = { upstream: 0, downstream: 0 };
  let nextId = 1;
  let actionSeq = 0;
  let refusing = 0;
  let closing = false;
  let server: Server | undefined;

  const hooks = {
    targetConnected: () => {
      counters.targetOpen++;
      counters.peakTargetOpen = Math.max(counters.peakTargetOpen, counters.targetOpen);
    },
    targetClosed: () => void counters.targetOpen--,
    targetFailed: () => void counters.targetFailed++,
    closed: (connection: ProxyConnection) => {
      open.delete(connection);
      counters.closed++;
      const bytes = connection.bytes();
      closedBytes.upstream += bytes.upstream;
      closedBytes.downstream += bytes.downstream;
      for (const toxic of connection.toxics) (toxic as Window).selected.delete(connection);
    },
  };

  /** Accepted, then immediately torn down (refuse race, reset window): counted, never proxied. */
  const turnAway = (client: Socket, counter: 'refused' | 'reset'): void => {
    counters[counter]++;
    counters.closed++;
    rst(client);
  };

  const onConnection = (client: Socket): void => {
    counters.opened++;
    client.on('error', () => {}); // a reset client is data, not a crash
    if (refusing > 0 || closing) return turnAway(client, 'refused');
    for (const w of windows) {
      if (w.action.action === 'reset' && pickNew(w.action.fraction, w.rng)) return turnAway(client, 'reset');
    }
    const id = nextId++;
    const localAddress = sourceAddressAt(options.localAddresses ?? [], id - 1);
    const connection = new ProxyConnection(id, client, localAddress ? { ...options.target, localAddress } : options.target, clock, hooks);
    open.add(connection);
    counters.peakOpen = Math.max(counters.peakOpen, open.size);
    for (const w of windows) {
      if (!isToxicAction(w.action) || !pickNew(w.action.fraction, w.rng)) continue;
      w.selected.add(connection);
      connection.toxics.add(w);
    }
    connection.start();
  };

  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer({ allowHalfOpen: true }, onConnection);
      s.once('error', reject);
      s.listen({ host, port, backlog: 4096 }, () => {
        s.off('error', reject);
        s.on('error', () => {}); // accept errors (EMFILE) must not crash the run
        resolve(s);
      });
    });
  const closeServer = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

  server = await listen(options.port ?? 0);
  const port = (server.address() as { port: number }).port;

  /** Reopens the port after a refuse window; retried briefly in case the old socket lingers. */
  const reopen = async (): Promise<void> => {
    for (let attempt = 0; attempt < 20 && !closing && refusing === 0 && !server; attempt++) {
      try {
        const s = await listen(port);
        if (closing || refusing > 0) await closeServer(s);
        else server = s;
        return;
      } catch {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 50));
      }
    }
  };

  /** Opens a window for `action`; `undo` runs once when it ends (timer, end() or clear()). */
  const openWindow = (action: Window['action'], undo: (w: Window) => void | Promise<void>): Window => {
    let resolveFinished!: () => void;
    let timer: TimerHandle | undefined;
    let done = false;
    const w: Window = {
      action,
      rng: rng.fork(`action-${++actionSeq}`),
      selected: new Set(),
      affected: 0,
      finished: new Promise<void>((resolve) => (resolveFinished = resolve)),
      end() {
        if (done) return;
        done = true;
        if (timer !== undefined) clock.clearTimeout(timer);
        windows.delete(w);
        void Promise.resolve(undo(w)).finally(resolveFinished);
      },
    };
    windows.add(w);
    // Duration 0 (only reachable programmatically or for a one-shot reset): ends on end()/clear().
    if (action.duration > 0 && Number.isFinite(action.duration)) timer = clock.setTimeout(() => w.end(), action.duration);
    return w;
  };

  const apply = (action: ProxyAction): ActionHandle => {
    if (closing) throw new Error('fault proxy is closed');
    if (action.action === 'refuse') {
      refusing++;
      const w = openWindow(action, async () => {
        if (--refusing === 0) await reopen();
      });
      if (server) void closeServer(server);
      server = undefined;
      const victims = [...open];
      for (const connection of victims) connection.reset('both');
      counters.refused += victims.length;
      w.affected = victims.length;
      return w;
    }
    if (action.action === 'reset') {
      const w = openWindow(action, () => {});
      const victims = pickOpen(open, action.fraction, w.rng);
      for (const connection of victims) connection.reset(action.direction);
      counters.reset += victims.length;
      w.affected = victims.length;
      if (action.duration === 0) w.end(); // one shot
      return w;
    }
    const w = openWindow(action, (self) => {
      for (const connection of self.selected) {
        connection.toxics.delete(self);
        connection.refresh();
      }
      self.selected.clear();
    });
    for (const connection of pickOpen(open, action.fraction, w.rng)) {
      w.selected.add(connection);
      connection.toxics.add(w);
      connection.refresh();
    }
    w.affected = w.selected.size;
    return w;
  };

  const clear = (): void => {
    for (const w of [...windows]) w.end();
  };

  return {
    host,
    port,
    url: (base) => proxiedUrl(host, port, base),
    apply,
    clear,
    stats() {
      let upstream = closedBytes.upstream;
      let downstream = closedBytes.downstream;
      let toxicConnections = 0;
      let pendingBytes = 0;
      for (const connection of open) {
        const bytes = connection.bytes();
        upstream += bytes.upstream;
        downstream += bytes.downstream;
        if (connection.toxic) toxicConnections++;
        pendingBytes += connection.lanes.upstream.pending + connection.lanes.downstream.pending;
      }
      const { peakOpen, targetOpen, peakTargetOpen, ...rest } = counters;
      return {
        ...rest,
        bytesUpstream: upstream,
        bytesDownstream: downstream,
        open: open.size,
        peakOpen,
        targetOpen,
        peakTargetOpen,
        toxicConnections,
        pendingBytes,
        activeActions: windows.size,
        listening: server !== undefined,
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      clear();
      for (const connection of [...open]) connection.destroy();
      if (server) await closeServer(server);
      server = undefined;
    },
  };
}
