import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { parseProxyAction, type ProxyActionInput } from '../../../src/runner/fault-proxy/actions.js';
import { createFaultProxy, type FaultProxy } from '../../../src/runner/fault-proxy/fault-proxy.js';
import { scheduleProxyActions } from '../../../src/runner/fault-proxy/schedule.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { rawClient, tcpTarget } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const act = (input: ProxyActionInput) => parseProxyAction(input);

async function setup() {
  const clock = manualClock();
  const target = await tcpTarget();
  cleanups.push(() => target.close());
  const proxy: FaultProxy = await createFaultProxy({ target, clock, rng: createRng('schedule') });
  cleanups.push(() => proxy.close());
  return { clock, target, proxy };
}

describe('fault proxy: windows on the injected clock', () => {
  it('applies each action at `at` and ends it after `duration`', async () => {
    const { clock, proxy } = await setup();
    const c = await rawClient(proxy.port);
    cleanups.push(() => void c.socket.destroy());
    await eventually(() => proxy.stats().open === 1, 'accept');
    const started: string[] = [];
    const schedule = scheduleProxyActions(
      proxy,
      [
        act({ at: '1s', action: 'latency', ms: 50, duration: '2s' }),
        act({ at: '2s', action: 'bandwidth', bytesPerSecond: 1000, duration: '5s', direction: 'upstream' }),
      ],
      { clock, onApplied: (h) => started.push(h.action.action) },
    );
    cleanups.push(() => schedule.cancel());
    clock.advance(999);
    expect(started).toEqual([]);
    clock.advance(1);
    expect(started).toEqual(['latency']);
    expect(proxy.stats()).toMatchObject({ activeActions: 1, toxicConnections: 1 });
    clock.advance(1_000);
    expect(started).toEqual(['latency', 'bandwidth']);
    expect(proxy.stats().activeActions).toBe(2);
    clock.advance(1_000); // latency over at 3s
    expect(proxy.stats().activeActions).toBe(1);
    clock.advance(4_000); // bandwidth over at 7s
    expect(proxy.stats()).toMatchObject({ activeActions: 0, toxicConnections: 0 });
    expect(schedule.applied.map((h) => h.affected)).toEqual([1, 1]);
  });

  it('cancel (or an aborted signal) stops what has not started and ends what runs', async () => {
    const { clock, proxy } = await setup();
    const controller = new AbortController();
    const schedule = scheduleProxyActions(proxy, [act({ at: 0, action: 'blackhole', duration: '1m' }), act({ at: '10s', action: 'refuse', duration: '1s' })], {
      clock,
      signal: controller.signal,
    });
    clock.advance(0);
    expect(proxy.stats().activeActions).toBe(1);
    controller.abort();
    expect(proxy.stats().activeActions).toBe(0);
    clock.advance(20_000);
    expect(proxy.stats()).toMatchObject({ activeActions: 0, listening: true, refused: 0 });
    expect(clock.pendingTimers).toBe(0);
    expect(schedule.applied).toHaveLength(1);
  });

  it('clear() ends every running action, including a refused port', async () => {
    const { proxy } = await setup();
    const refuse = proxy.apply(act({ at: 0, action: 'refuse', duration: '1h' }));
    proxy.apply(act({ at: 0, action: 'latency', ms: 5, duration: '1h' }));
    expect(proxy.stats()).toMatchObject({ activeActions: 2, listening: false });
    proxy.clear();
    await refuse.finished;
    expect(proxy.stats()).toMatchObject({ activeActions: 0, listening: true });
  });
});
