import { afterEach, describe, expect, it } from 'vitest';
import { createFaultProxy } from '../../../src/runner/fault-proxy/fault-proxy.js';
import { eventually } from '../../helpers/eventually.js';
import { rawClient, tcpTarget } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.runIf(process.platform === 'linux')('fault proxy: source addresses', () => {
  it('binds its own connections to the target round-robin over localAddresses', async () => {
    const target = await tcpTarget();
    cleanups.push(() => target.close());
    const proxy = await createFaultProxy({ target, localAddresses: ['127.0.0.2', '127.0.0.3'] });
    cleanups.push(() => proxy.close());
    for (let i = 0; i < 4; i++) {
      const client = await rawClient(proxy.port);
      cleanups.push(() => void client.socket.destroy());
    }
    await eventually(() => expect(target.sockets).toHaveLength(4));
    // Connection k of the proxy binds entry k mod 2 (accept order at the target may differ).
    expect(target.sockets.map((s) => s.remoteAddress).sort()).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3']);
  });
});
