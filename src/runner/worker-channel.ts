/**
 * The IPC conversation between `fleetsim run --workers N` (the parent, runner/workers.ts) and
 * each worker (`fleetsim run --shard K/N --worker`, a child process):
 *
 *   worker → parent  { type: 'ready' }                 target up, waiting for the start instant
 *   parent → worker  { type: 'start', atMs }           every worker is ready: start at atMs
 *   worker → parent  { type: 'progress', snapshot }    about once a second (the parent's live line)
 *
 * A worker whose channel closes (the parent died) stops as if it got SIGTERM, so no worker
 * outlives its parent.
 */
import type { ParentChannel } from '../cli/io.js';
import type { LiveSnapshot } from '../metrics/recorder-types.js';
import type { ShardRunOptions } from './shard-run.js';

export type WorkerMessage = { type: 'ready' } | { type: 'progress'; snapshot: LiveSnapshot };
export type ParentMessage = { type: 'start'; atMs: number };

/**
 * The shard hooks of a worker: `ready` reports readiness and waits for the parent's start
 * instant (or an abort, or the parent going away: then it starts at once and the abort stops
 * it), `progress` forwards the live figures.
 */
export function workerShardHooks(parent: ParentChannel): Pick<ShardRunOptions, 'ready' | 'progress'> {
  const send = (message: WorkerMessage): void => {
    try {
      if (parent.connected) parent.send(message);
    } catch {
      // The parent is gone; the disconnect handler stops the run.
    }
  };
  return {
    ready: (signal) =>
      new Promise<number | undefined>((resolve) => {
        const done = (atMs: number | undefined): void => {
          parent.off('message', onMessage);
          parent.off('disconnect', onGone);
          signal?.removeEventListener('abort', onGone);
          resolve(atMs);
        };
        const onMessage = (raw: unknown): void => {
          const message = raw as Partial<ParentMessage> | null;
          if (message?.type === 'start' && typeof message.atMs === 'number') done(message.atMs);
        };
        const onGone = (): void => done(undefined);
        if (signal?.aborted || !parent.connected) return done(undefined);
        parent.on('message', onMessage);
        parent.on('disconnect', onGone);
        signal?.addEventListener('abort', onGone, { once: true });
        send({ type: 'ready' });
      }),
    progress: (snapshot) => send({ type: 'progress', snapshot }),
  };
}
