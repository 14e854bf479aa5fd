import { describe, expect, it } from 'vitest';
import type { PeerDial } from '../../../src/workloads/peers/peer.js';
import type { PeersConfig } from '../../../src/workloads/peers/section.js';
import { startPeers, testCredentials } from './harness.js';

/** Runs one peer whose every dial is refused; returns the clock times of its first `n` dials. */
async function dialTimes(reconnect: PeersConfig['reconnect'], n: number): Promise<number[]> {
  const times: number[] = [];
  let clockNow = (): number => 0;
  const dial: PeerDial = () => {
    times.push(clockNow());
    return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  };
  const peers = startPeers(testCredentials('http://127.0.0.1:1', 1), { perAgent: 1, reconnect, dial });
  clockNow = () => peers.clock.now();
  peers.start();
  try {
    // Bounded: 10 ms steps up to 5 s of manual time.
    for (let i = 0; i < 500 && times.length < n; i++) await peers.clock.advanceAsync(10);
  } finally {
    await peers.stop();
  }
  return times.slice(0, n);
}

const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

describe('peer redial backoff (peers.reconnect)', () => {
  it('without jitter redials after exactly initial, doubling up to max', async () => {
    const times = await dialTimes({ initial: 100, max: 400, jitter: 'none' }, 6);
    expect(gaps(times)).toEqual([100, 200, 400, 400, 400]);
  });

  it('with full jitter waits at most the nominal delay each time, and the seed replays it', async () => {
    const policy = { initial: 100, max: 400, jitter: 'full' } as const;
    const first = gaps(await dialTimes(policy, 6));
    [100, 200, 400, 400, 400].forEach((nominal, i) => {
      expect(first[i]).toBeGreaterThanOrEqual(0);
      expect(first[i]).toBeLessThanOrEqual(nominal);
    });
    expect(first).not.toEqual([100, 200, 400, 400, 400]);
    expect(gaps(await dialTimes(policy, 6))).toEqual(first);
  });
});
