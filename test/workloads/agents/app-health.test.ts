import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { AgentApiClient, AppHealth } from '../../../src/client/agent-client.js';
import { METRIC } from '../../../src/metrics/names.js';
import { AppHealthModel, runAppHealthLoop } from '../../../src/workloads/agents/app-health.js';
import type { ManualClock } from '../../../src/core/clock.js';
import { manualClock } from '../../helpers/clock.js';
import { recordingSink } from '../../helpers/sink.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

function captureClient(posts: Array<Record<string, AppHealth>>): AgentApiClient {
  return {
    postAppHealth: async (healths: Record<string, AppHealth>) => {
      posts.push(healths);
      return { ok: true, status: 200, headers: {}, durationMs: 1 };
    },
  } as unknown as AgentApiClient;
}

/** Runs the loop on the manual clock, one report period at a time, for at most `periods`. */
async function drive(clock: ManualClock, loop: Promise<void>, periods: number, stop: AbortController): Promise<{ endedAt: number | undefined }> {
  let endedAt: number | undefined;
  void loop.then(() => (endedAt ??= clock.now()));
  for (let i = 0; i < periods && endedAt === undefined; i++) await clock.advanceAsync(1000);
  stop.abort();
  await loop;
  return { endedAt };
}

describe('app health', () => {
  it('turns healthy after healthyAfter and posts every tracked app only when something changed', async () => {
    const clock = manualClock();
    const model = new AppHealthModel([A, B], { checkInterval: 1000, healthyAfter: 2000, flapRate: 0 }, createRng(1), clock.now());
    const posts: Array<Record<string, AppHealth>> = [];
    const stop = new AbortController();
    const metrics = recordingSink();
    const loop = runAppHealthLoop({
      client: captureClient(posts),
      metrics,
      clock,
      signal: stop.signal,
      model,
      lastReported: {},
    });
    const { endedAt } = await drive(clock, loop, 10, stop);
    // Nothing at 1 s (still initializing), one POST at 2 s, then the loop ends: nothing can change.
    expect(posts).toEqual([{ [A]: 'healthy', [B]: 'healthy' }]);
    expect(endedAt).toBe(2000);
    expect(metrics.total(METRIC.appHealthReported)).toBe(1);
  });

  it('does not re-post what the target already holds', async () => {
    const clock = manualClock({ startMs: 5000 });
    const model = new AppHealthModel([A], { checkInterval: 1000, healthyAfter: 0, flapRate: 0 }, createRng(1), 0);
    const posts: Array<Record<string, AppHealth>> = [];
    const stop = new AbortController();
    const loop = runAppHealthLoop({
      client: captureClient(posts),
      metrics: recordingSink(),
      clock,
      signal: stop.signal,
      model,
      lastReported: { [A]: 'healthy', 'not-tracked': 'healthy' },
    });
    await drive(clock, loop, 5, stop);
    expect(posts).toEqual([]);
  });

  it('flaps on a seeded schedule: same seed, same bodies; every body holds all tracked apps', async () => {
    const run = async (seed: string): Promise<Array<Record<string, AppHealth>>> => {
      const clock = manualClock();
      const model = new AppHealthModel([A, B], { checkInterval: 500, healthyAfter: 1000, flapRate: 0.3 }, createRng(seed), 0);
      const posts: Array<Record<string, AppHealth>> = [];
      const stop = new AbortController();
      const loop = runAppHealthLoop({
        client: captureClient(posts),
        metrics: recordingSink(),
        clock,
        signal: stop.signal,
        model,
        lastReported: {},
      });
      await drive(clock, loop, 40, stop);
      return posts;
    };
    const first = await run('flap');
    expect(first.length).toBeGreaterThan(3);
    expect(await run('flap')).toEqual(first);
    for (const body of first) expect(Object.keys(body).sort()).toEqual([A, B]);
    expect(first.some((body) => Object.values(body).includes('unhealthy'))).toBe(true);
    // Consecutive bodies always differ (a POST only on change).
    for (let i = 1; i < first.length; i++) expect(first[i]).not.toEqual(first[i - 1]);
  });
});
