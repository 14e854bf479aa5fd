import { fork, type ChildProcess } from 'node:child_process';
import { ownModule } from '../core/own-module.js';
import type { CredentialAgent, Credentials } from '../protocol/credentials.js';
import type { ServerCounters } from './counters.js';
import type { Fault } from './faults.js';
import type { ReferenceServerOptions } from './options.js';

/**
 * The reference server in its own process, so the harness never shares its event loop. The
 * child (child-entry: plain node from dist/, tsx from src/; core/own-module.ts) answers IPC
 * requests; it exits by itself when the parent goes away (IPC disconnect).
 */
export type RemoteServerOptions = Omit<ReferenceServerOptions, 'clock' | 'log'>;

/**
 * V8 flags of the server process. A young generation of 32 MB semi-spaces (V8's default on
 * 64-bit tops out at 16 MB): the coordinator keeps every agent's latest update frame until the
 * next one, ~0.1 s at 10,000 updates/s over 1,000 agents, so with the default size frames
 * outlive a scavenge or two, get promoted and fill the old generation, and the mark-compacts that
 * follow stall every socket. Measured with bench:coordinator (docs/benchmarks.md): server p99 at
 * 19,531 updates/s 19–26 ms instead of 45–60 ms, CPU per update about 10 % lower. Costs up to
 * ~64 MB more RSS while the server allocates fast; an idle server stays at 1 MB. (`fleetsim
 * serve` runs the server in the CLI's own process, where flags cannot be changed.)
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

export interface RemoteReferenceServer {
  url: string;
  /** Secrets: never log. */
  credentials: Credentials;
  pid: number;
  provision(n: number): Promise<CredentialAgent[]>;
  counters(): Promise<ServerCounters>;
  dropAgentSockets(fraction?: number): Promise<number>;
  /** See ReferenceServer.restart: `down()` cuts every connection (returns how many), `up()` listens again on the same port. */
  restart: { down(): Promise<number>; up(): Promise<void> };
  /** See ReferenceServer.revokeTokens. */
  revokeTokens(fraction?: number): Promise<{ revoked: number; dropped: number }>;
  restoreTokens(): Promise<number>;
  faults: { set(endpoint: string, fault: Fault): Promise<void>; clear(endpoint?: string): Promise<void> };
  gitAuth: { link(opts?: { providerId?: string; token?: string; expiresAtMs?: number }): Promise<void> };
  /** The child's process.cpuUsage() (µs), for benchmarks. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  /** Closes the server and waits for the child to exit. */
  close(): Promise<void>;
}

/** Messages child → parent. */
export type ChildMessage =
  | { type: 'ready'; url: string; credentials: Credentials }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; message: string };

/** Messages parent → child. */
export type ParentMessage = { type: 'start'; options: RemoteServerOptions } | { type: 'call'; id: number; op: CallOp; args: unknown[] };

/** The IPC operations the child serves (one per ReferenceServer method the parent exposes). */
export type CallOp =
  | 'provision'
  | 'counters'
  | 'dropAgentSockets'
  | 'restart.down'
  | 'restart.up'
  | 'revokeTokens'
  | 'restoreTokens'
  | 'faults.set'
  | 'faults.clear'
  | 'gitAuth.link'
  | 'cpuUsage'
  | 'close';

export async function startReferenceServerProcess(options: RemoteServerOptions = {}): Promise<RemoteReferenceServer> {
  const entry = ownModule('./child-entry.js', import.meta.url);
  const child = fork(entry.path, [], { execArgv: [...SERVER_V8_FLAGS, ...entry.execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;

  const ready = new Promise<{ url: string; credentials: Credentials }>((resolve, reject) => {
    child.on('message', (raw) => {
      const msg = raw as ChildMessage;
      if (msg.type === 'ready') resolve(msg);
      else if (msg.type === 'failed') reject(new Error(`reference server failed to start: ${msg.message}`));
      else if (msg.type === 'reply') {
        const waiter = pending.get(msg.id);
        pending.delete(msg.id);
        if (!waiter) return;
        if (msg.ok) waiter.resolve(msg.result);
        else waiter.reject(new Error(msg.message));
      }
    });
    child.once('exit', (code, signal) => {
      const error = new Error(`reference server process exited (${signal ?? code})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    child.once('error', reject);
  });
  child.send({ type: 'start', options } satisfies ParentMessage);

  let started: { url: string; credentials: Credentials };
  try {
    started = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const call = <T>(op: CallOp, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('reference server process is gone'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'call', id, op, args } satisfies ParentMessage);
    });

  let closing: Promise<void> | undefined;
  const credentials = started.credentials;
  return {
    url: started.url,
    credentials,
    pid: child.pid ?? -1,
    provision: async (n) => {
      const added = await call<CredentialAgent[]>('provision', n);
      credentials.agents.push(...added);
      return added;
    },
    counters: () => call<ServerCounters>('counters'),
    dropAgentSockets: (fraction) => call<number>('dropAgentSockets', fraction),
    restart: { down: () => call<number>('restart.down'), up: () => call<void>('restart.up') },
    revokeTokens: (fraction) => call<{ revoked: number; dropped: number }>('revokeTokens', fraction),
    restoreTokens: () => call<number>('restoreTokens'),
    faults: { set: (endpoint, fault) => call<void>('faults.set', endpoint, fault), clear: (endpoint) => call<void>('faults.clear', endpoint) },
    gitAuth: { link: (opts) => call<void>('gitAuth.link', opts) },
    cpuUsage: () => call<NodeJS.CpuUsage>('cpuUsage'),
    close: () => {
      closing ??= closeChild(child, exited, () => call<void>('close'));
      return closing;
    },
  };
}

async function closeChild(child: ChildProcess, exited: Promise<void>, requestClose: () => Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await requestClose().catch(() => child.kill('SIGTERM'));
    await exited;
  } finally {
    clearTimeout(killTimer);
  }
}
