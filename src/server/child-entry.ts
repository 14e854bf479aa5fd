/**
 * The child side of server-process.ts: starts the reference server on the parent's request and
 * serves its IPC calls. Exits when the parent disconnects (so it never outlives the harness).
 */
import type { ChildMessage, ParentMessage } from './server-process.js';
import { createReferenceServer, type ReferenceServer } from './reference-server.js';

let server: ReferenceServer | undefined;

const send = (msg: ChildMessage): void => {
  if (process.connected) process.send?.(msg);
};

async function shutdown(code: number): Promise<never> {
  try {
    await server?.close();
  } finally {
    process.exit(code);
  }
}

process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

process.on('message', (raw) => {
  const msg = raw as ParentMessage;
  if (msg.type === 'start') {
    createReferenceServer(msg.options).then(
      (s) => {
        server = s;
        send({ type: 'ready', url: s.url, credentials: s.credentials });
      },
      (error: unknown) => {
        send({ type: 'failed', message: (error as Error).message });
        process.exit(1);
      },
    );
    return;
  }
  void handleCall(msg);
});

async function handleCall(msg: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  const s = server;
  if (!s) return send({ type: 'reply', id: msg.id, ok: false, message: 'server not started' });
  try {
    let result: unknown;
    const [a, b] = msg.args;
    switch (msg.op) {
      case 'provision':
        result = await s.provision(a as number);
        break;
      case 'counters':
        result = s.counters();
        break;
      case 'dropAgentSockets':
        result = s.dropAgentSockets(a as number | undefined);
        break;
      case 'restart.down':
        result = await s.restart.down();
        break;
      case 'restart.up':
        await s.restart.up();
        break;
      case 'revokeTokens':
        result = s.revokeTokens(a as number | undefined);
        break;
      case 'restoreTokens':
        result = s.restoreTokens();
        break;
      case 'faults.set':
        s.faults.set(a as string, b as Parameters<ReferenceServer['faults']['set']>[1]);
        break;
      case 'faults.clear':
        s.faults.clear(a as string | undefined);
        break;
      case 'gitAuth.link':
        s.gitAuth.link(a as Parameters<ReferenceServer['gitAuth']['link']>[0]);
        break;
      case 'cpuUsage':
        result = process.cpuUsage();
        break;
      case 'close':
        await s.close();
        // Exit only once the reply is flushed to the parent.
        if (process.connected) process.send?.({ type: 'reply', id: msg.id, ok: true, result: null } satisfies ChildMessage, () => process.exit(0));
        else process.exit(0);
        return;
    }
    send({ type: 'reply', id: msg.id, ok: true, result: result ?? null });
  } catch (error) {
    send({ type: 'reply', id: msg.id, ok: false, message: (error as Error).message });
  }
}
