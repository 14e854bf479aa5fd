import { fork } from 'node:child_process';
import { ownModule } from '../../core/own-module.js';
import type { ProxyAction } from './actions.js';
import { proxiedUrl, type FaultProxyStats } from './fault-proxy.js';

/**
 * The fault proxy in its own process. Every proxied request and message costs the proxy CPU (as
 * much as a bare Node relay, and more per request at low rates: docs/benchmarks.md, bench:proxy);
 * on the run's own event loop that would come out of the load generator's budget, so a run hosts the proxy in a child
 * (plain node from dist/, tsx from src/, like the embedded server) and drives it over IPC.
 */
export interface ProxyProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** `base` with its host and port replaced by the proxy's (what the fleet dials). */
  url(base?: string): string;
  /** Starts an action now. `ended` settles once it has ended and its effect is undone
   * (for refuse: listening again), or when the proxy closes. */
  apply(action: ProxyAction): Promise<{ affected: number; ended: Promise<void> }>;
  stats(): Promise<ProxyProcessStats>;
  /** Ends every action and closes the proxy; resolves with its last counters (taken before
   * the close tore the connections down), or undefined when the child was already gone. */
  close(): Promise<ProxyProcessStats | undefined>;
}

export interface ProxyProcessStats {
  stats: FaultProxyStats;
  /** The child's process.cpuUsage() (µs): what hosting the proxy cost. */
  cpu: NodeJS.CpuUsage;
}

/** Messages parent → child. */
export type ProxyParentMessage =
  | { type: 'start'; target: { host: string; port: number }; seed: string; localAddresses?: string[] }
  | { type: 'apply'; id: number; action: ProxyAction }
  | { type: 'end'; id: number }
  | { type: 'stats'; id: number }
  | { type: 'close'; id: number };

/** Messages child → parent. */
export type ProxyChildMessage =
  | { type: 'ready'; host: string; port: number }
  | { type: 'failed'; message: string }
  | { type: 'applied'; id: number; ok: true; affected: number }
  | { type: 'applied'; id: number; ok: false; message: string }
  | { type: 'ended'; id: number }
  | { type: 'stats'; id: number; stats: FaultProxyStats | undefined; cpu: NodeJS.CpuUsage };

export async function startFaultProxyProcess(options: {
  target: { host: string; port: number };
  seed: string;
  /** Source addresses of the proxy's connections to the target (round-robin). */
  localAddresses?: readonly string[];
}): Promise<ProxyProcess> {
  const entry = ownModule('./proxy-child.js', import.meta.url);
  const child = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<number, (msg: ProxyChildMessage | undefined) => void>();
  const ends = new Map<number, () => void>();
  let nextId = 1;
  let gone = false;

  const settleAll = (): void => {
    gone = true;
    for (const resolve of waiting.values()) resolve(undefined);
    waiting.clear();
    for (const end of ends.values()) end();
    ends.clear();
  };

  const ready = new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.on('message', (raw) => {
      const msg = raw as ProxyChildMessage;
      if (msg.type === 'ready') resolve(msg);
      else if (msg.type === 'failed') reject(new Error(`fault proxy failed to start: ${msg.message}`));
      else if (msg.type === 'ended') {
        ends.get(msg.id)?.();
        ends.delete(msg.id);
      } else {
        const waiter = waiting.get(msg.id);
        waiting.delete(msg.id);
        waiter?.(msg);
      }
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`fault proxy process exited (${signal ?? code})`));
      settleAll();
    });
    child.once('error', reject);
  });
  child.send({
    type: 'start',
    target: options.target,
    seed: options.seed,
    ...(options.localAddresses?.length ? { localAddresses: [...options.localAddresses] } : {}),
  } satisfies ProxyParentMessage);
  let started: { host: string; port: number };
  try {
    started = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  /** Sends a request and waits for the reply with the same id (undefined if the child is gone). */
  const request = (build: (id: number) => ProxyParentMessage): Promise<ProxyChildMessage | undefined> =>
    new Promise((resolve) => {
      if (gone || !child.connected) return resolve(undefined);
      const id = nextId++;
      waiting.set(id, resolve);
      child.send(build(id));
    });

  const asStats = (msg: ProxyChildMessage | undefined): ProxyProcessStats | undefined =>
    msg?.type === 'stats' && msg.stats ? { stats: msg.stats, cpu: msg.cpu } : undefined;

  let closing: Promise<ProxyProcessStats | undefined> | undefined;
  return {
    host: started.host,
    port: started.port,
    pid: child.pid ?? -1,
    url: (base) => proxiedUrl(started.host, started.port, base),
    async apply(action) {
      let id = 0;
      let resolveEnded!: () => void;
      const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
      const reply = await request((n) => {
        id = n;
        // Registered before the send: a one-shot reset ends right after it is applied.
        ends.set(n, resolveEnded);
        return { type: 'apply', id: n, action };
      });
      if (!reply) throw new Error('the fault proxy process is gone');
      if (reply.type !== 'applied' || !reply.ok) {
        ends.delete(id);
        throw new Error(`the fault proxy refused ${action.action}: ${reply.type === 'applied' && !reply.ok ? reply.message : reply.type}`);
      }
      return { affected: reply.affected, ended };
    },
    async stats() {
      const stats = asStats(await request((id) => ({ type: 'stats', id })));
      if (!stats) throw new Error('the fault proxy process is gone');
      return stats;
    },
    close() {
      closing ??= (async () => {
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        try {
          const last = asStats(await request((id) => ({ type: 'close', id })));
          if (!gone) child.kill('SIGTERM');
          await exited;
          return last;
        } finally {
          clearTimeout(killTimer);
        }
      })();
      return closing;
    },
  };
}
