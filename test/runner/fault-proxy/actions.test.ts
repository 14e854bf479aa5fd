import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRng } from '../../../src/core/rng.js';
import { parseProxyAction, proxyActionSchema } from '../../../src/runner/fault-proxy/actions.js';
import { pickNew, pickOpen } from '../../../src/runner/fault-proxy/selection.js';

const messages = (input: unknown): string[] => {
  const result = proxyActionSchema.safeParse(input);
  if (result.success) throw new Error('expected the action to be rejected');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('proxy action schema', () => {
  it('parses durations to ms and fills defaults', () => {
    expect(parseProxyAction({ at: '30s', action: 'latency', ms: 200, jitter: 20, duration: '20s', fraction: 0.5 })).toEqual({
      at: 30_000,
      action: 'latency',
      ms: 200,
      jitter: 20,
      duration: 20_000,
      fraction: 0.5,
      direction: 'both',
    });
    expect(parseProxyAction({ at: '1m', action: 'bandwidth', bytesPerSecond: 1000, duration: '1s', direction: 'downstream' })).toEqual({
      at: 60_000,
      action: 'bandwidth',
      bytesPerSecond: 1000,
      duration: 1_000,
      fraction: 1,
      direction: 'downstream',
    });
    expect(parseProxyAction({ at: '5s', action: 'reset', fraction: 0.25 })).toEqual({
      at: 5_000,
      action: 'reset',
      fraction: 0.25,
      duration: 0,
      direction: 'both',
    });
    expect(parseProxyAction({ at: 0, action: 'refuse', duration: '10s' })).toEqual({ at: 0, action: 'refuse', duration: 10_000 });
    expect(parseProxyAction({ at: '1s', action: 'blackhole', duration: '2s' })).toMatchObject({ action: 'blackhole', duration: 2_000, fraction: 1 });
    expect(parseProxyAction({ at: '1s', action: 'slow-close', ms: 500, duration: '2s' })).toMatchObject({ action: 'slow-close', ms: 500 });
  });

  it('rejects bad fields with their paths', () => {
    expect(messages({ at: '30', action: 'latency', ms: 1, duration: '1s' }).join('\n')).toMatch(/^at: .*add a unit/);
    expect(messages({ at: '1s', action: 'latency', ms: -1, duration: '1s' })[0]).toMatch(/^ms: /);
    expect(messages({ at: '1s', action: 'latency', ms: 1, duration: '0s' })).toEqual(['duration: must be longer than 0s']);
    expect(messages({ at: '1s', action: 'latency', ms: 1 })[0]).toMatch(/^duration: required/);
    expect(messages({ at: '1s', action: 'bandwidth', bytesPerSecond: 0, duration: '1s' })[0]).toMatch(/^bytesPerSecond: /);
    expect(messages({ at: '1s', action: 'blackhole', duration: '1s', fraction: 2 })[0]).toMatch(/^fraction: /);
    expect(messages({ at: '1s', action: 'blackhole', duration: '1s', direction: 'sideways' })[0]).toMatch(/^direction: /);
    // refuse closes the port for everyone: a fraction would be a lie.
    expect(messages({ at: '1s', action: 'refuse', duration: '1s', fraction: 0.5 })[0]).toMatch(/fraction/);
    expect(messages({ at: '1s', action: 'explode', duration: '1s' })[0]).toMatch(/^action: /);
  });

  it('composes into a larger schema', () => {
    const scenario = z.object({ network: z.array(proxyActionSchema).optional() });
    const parsed = scenario.parse({ network: [{ at: '2s', action: 'refuse', duration: '500ms' }] });
    expect(parsed.network?.[0]).toEqual({ at: 2_000, action: 'refuse', duration: 500 });
  });
});

describe('fraction selection', () => {
  const conns = Array.from({ length: 10 }, (_, i) => ({ id: i + 1 }));

  it('takes exactly round(fraction × open), the same ones for the same seed', () => {
    const a = pickOpen(conns, 0.5, createRng('s').fork('action-1')).map((c) => c.id);
    const b = pickOpen([...conns].reverse(), 0.5, createRng('s').fork('action-1')).map((c) => c.id);
    expect(a).toHaveLength(5);
    expect(new Set(a).size).toBe(5);
    expect(b).toEqual(a);
    expect(pickOpen(conns, 1, createRng('s'))).toHaveLength(10);
    expect(pickOpen(conns, 0, createRng('s'))).toHaveLength(0);
    expect(pickOpen(conns, 0.26, createRng('s'))).toHaveLength(3);
  });

  it('picks new connections with probability fraction, reproducibly', () => {
    const draw = (seed: string) => {
      const rng = createRng(seed);
      return Array.from({ length: 200 }, () => pickNew(0.3, rng));
    };
    const one = createRng('n');
    const seq = Array.from({ length: 2000 }, () => pickNew(0.3, one));
    const hits = seq.filter(Boolean).length;
    expect(hits).toBeGreaterThan(480);
    expect(hits).toBeLessThan(720);
    expect(draw('x')).toEqual(draw('x'));
    expect(pickNew(1, createRng('n'))).toBe(true);
    expect(pickNew(0, createRng('n'))).toBe(false);
  });
});
