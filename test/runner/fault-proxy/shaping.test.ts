import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { parseProxyAction, type ProxyActionInput } from '../../../src/runner/fault-proxy/actions.js';
import { createFaultProxy, type FaultProxy } from '../../../src/runner/fault-proxy/fault-proxy.js';
import { eventually } from '../../helpers/eventually.js';
import { rawClient, roundTrip, tcpTarget, type Target } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(onSocket?: Parameters<typeof tcpTarget>[0]): Promise<{ target: Target; proxy: FaultProxy }> {
  const target = await tcpTarget(onSocket);
  cleanups.push(() => target.close());
  const proxy = await createFaultProxy({ target, rng: createRng('shaping') });
  cleanups.push(() => proxy.close());
  return { target, proxy };
}

async function client(port: number) {
  const c = await rawClient(port);
  cleanups.push(() => void c.socket.destroy());
  return c;
}

/** Fastest of `n` echo round trips: the floor, so noise only ever pushes it up. */
async function minRoundTrip(port: number, n = 5): Promise<number> {
  const { socket } = await client(port);
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await roundTrip(socket, 'ping'));
  return best;
}

const act = (input: ProxyActionInput) => parseProxyAction(input);

describe('fault proxy: latency', () => {
  it('adds the configured delay per direction, measured against a direct baseline', async () => {
    const { target, proxy } = await setup();
    const direct = await minRoundTrip(target.port);
    const down = proxy.apply(act({ at: 0, action: 'latency', ms: 40, duration: '1m', direction: 'downstream' }));
    expect(await minRoundTrip(proxy.port)).toBeGreaterThanOrEqual(direct + 40 - 2);
    down.end();
    await down.finished;
    proxy.apply(act({ at: 0, action: 'latency', ms: 30, duration: '1m', direction: 'both' }));
    // Both ways: the round trip pays it twice.
    expect(await minRoundTrip(proxy.port)).toBeGreaterThanOrEqual(direct + 60 - 2);
  });

  it('applies to connections already open, keeps order under jitter, and returns them to the fast path', async () => {
    const { proxy } = await setup();
    const { socket } = await client(proxy.port);
    await roundTrip(socket, 'warm'); // on the fast path, through a pipe
    expect(proxy.stats().toxicConnections).toBe(0);
    const handle = proxy.apply(act({ at: 0, action: 'latency', ms: 10, jitter: 9, duration: '1m', direction: 'upstream' }));
    expect(handle.affected).toBe(1);
    expect(proxy.stats().toxicConnections).toBe(1);
    // 200 numbered writes, each its own chunk with its own jittered delay: they must come back in order.
    const lines = Array.from({ length: 200 }, (_, i) => `${i}\n`);
    const expected = lines.join('');
    let got = '';
    const done = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        got += c.toString();
        if (got.length >= expected.length) resolve();
      }),
    );
    for (const line of lines) {
      socket.write(line);
      await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(got).toBe(expected);
    handle.end();
    await handle.finished;
    await eventually(() => proxy.stats().toxicConnections === 0, 'the lane to drain and pipe again');
    expect(await roundTrip(socket, 'after')).toBeGreaterThanOrEqual(0);
    expect(proxy.stats()).toMatchObject({ activeActions: 0, pendingBytes: 0 });
  });

  it('reaches new connections during the window and only a seeded share with a fraction', async () => {
    const { proxy } = await setup();
    proxy.apply(act({ at: 0, action: 'latency', ms: 1, duration: '1m', fraction: 0.5 }));
    const clients = [];
    for (let i = 0; i < 40; i++) {
      clients.push(await client(proxy.port));
      await eventually(() => proxy.stats().open === i + 1, 'accept');
    }
    const affected = proxy.stats().toxicConnections;
    expect(affected).toBeGreaterThan(8);
    expect(affected).toBeLessThan(32);
  });
});

describe('fault proxy: bandwidth', () => {
  it('bounds throughput by the rate: bytes ≤ bucket + rate × elapsed, data intact', async () => {
    const received: Buffer[] = [];
    let lastByteAt = 0;
    const total = 20_000;
    const { proxy } = await setup((s) =>
      s.on('data', (c: Buffer) => {
        received.push(c);
        lastByteAt = performance.now();
      }),
    );
    const rate = 40_000;
    proxy.apply(act({ at: 0, action: 'bandwidth', bytesPerSecond: rate, duration: '1m', direction: 'upstream' }));
    const { socket } = await client(proxy.port);
    const payload = createRng('payload').bytes(total);
    const start = performance.now();
    socket.write(payload);
    await eventually(() => received.reduce((n, b) => n + b.length, 0) >= total, 'every byte');
    const elapsed = lastByteAt - start;
    const bucket = rate / 20; // the lane's burst: one slice
    expect(elapsed).toBeGreaterThanOrEqual(((total - bucket) * 1000) / rate - 2);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(Buffer.concat(received))).toBe(sha(payload));
    // Slices of at most one bucket: many chunks, not one burst.
    expect(received.length).toBeGreaterThanOrEqual(Math.floor(total / bucket) - 1);
  });
});

describe('fault proxy: slow-close', () => {
  /** Time between the last data and the FIN, as seen by the receiving end. */
  /**
   * The gap is read in the target's and client's own 'data' and 'end' handlers: under load either
   * can run a few ms late, which narrows the gap without the proxy being early. 80 ms held back
   * against a direct gap of ~0 still tells a delayed FIN from a forwarded one.
   */
  const SLACK_MS = 10;
  const finGap = (socket: import('node:net').Socket): Promise<number> =>
    new Promise((resolve) => {
      let dataAt = 0;
      socket.on('data', () => (dataAt = performance.now()));
      socket.on('end', () => {
        resolve(performance.now() - dataAt);
        socket.end();
      });
    });

  it('downstream: the client sees the target FIN late', async () => {
    const { target, proxy } = await setup((s) => s.end('bye'));
    const direct = await finGap((await client(target.port)).socket);
    proxy.apply(act({ at: 0, action: 'slow-close', ms: 80, duration: '1m', direction: 'downstream' }));
    expect(await finGap((await client(proxy.port)).socket)).toBeGreaterThanOrEqual(direct + 80 - SLACK_MS);
  });

  it('upstream: the target sees the client FIN late', async () => {
    const gaps: Promise<number>[] = [];
    const { target, proxy } = await setup((s) => gaps.push(finGap(s)));
    (await client(target.port)).socket.end('hi');
    await eventually(() => gaps.length === 1, 'the direct connection');
    const direct = await gaps[0]!;
    proxy.apply(act({ at: 0, action: 'slow-close', ms: 80, duration: '1m', direction: 'upstream' }));
    (await client(proxy.port)).socket.end('hi');
    await eventually(() => gaps.length === 2, 'the proxied connection');
    expect(await gaps[1]!).toBeGreaterThanOrEqual(direct + 80 - SLACK_MS);
  });
});
