/**
 * The child side of proxy-process.ts: hosts one fault proxy on its own event loop and serves
 * the parent's IPC calls. Exits when the parent disconnects, so it never outlives the run.
 */
import { createRng } from '../../core/rng.js';
import type { ActionHandle, FaultProxy } from './fault-proxy.js';
import { createFaultProxy } from './fault-proxy.js';
import type { ProxyChildMessage, ProxyParentMessage } from './proxy-process.js';

let proxy: FaultProxy | undefined;
const handles = new Map<number, ActionHandle>();

const send = (msg: ProxyChildMessage, then?: () => void): void => {
  if (!process.connected) return then?.();
  if (then) process.send?.(msg, () => then());
  else process.send?.(msg);
};

async function shutdown(): Promise<never> {
  try {
    await proxy?.close();
  } finally {
    process.exit(0);
  }
}

process.on('disconnect', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

process.on('message', (raw) => {
  const msg = raw as ProxyParentMessage;
  switch (msg.type) {
    case 'start':
      createFaultProxy({ target: msg.target, rng: createRng(`${msg.seed}/fault-proxy`), localAddresses: msg.localAddresses ?? [] }).then(
        (p) => {
          proxy = p;
          send({ type: 'ready', host: p.host, port: p.port });
        },
        (error: unknown) => {
          send({ type: 'failed', message: (error as Error).message }, () => process.exit(1));
        },
      );
      return;
    case 'apply': {
      if (!proxy) return send({ type: 'applied', id: msg.id, ok: false, message: 'proxy not started' });
      try {
        const handle = proxy.apply(msg.action);
        handles.set(msg.id, handle);
        send({ type: 'applied', id: msg.id, ok: true, affected: handle.affected });
        void handle.finished.then(() => {
          handles.delete(msg.id);
          send({ type: 'ended', id: msg.id });
        });
      } catch (error) {
        send({ type: 'applied', id: msg.id, ok: false, message: (error as Error).message });
      }
      return;
    }
    case 'end':
      handles.get(msg.id)?.end();
      return;
    case 'stats':
      send({ type: 'stats', id: msg.id, stats: proxy?.stats(), cpu: process.cpuUsage() });
      return;
    case 'close':
      void (async () => {
        const stats = proxy?.stats();
        await proxy?.close();
        send({ type: 'stats', id: msg.id, stats, cpu: process.cpuUsage() }, () => process.exit(0));
      })();
      return;
  }
});
