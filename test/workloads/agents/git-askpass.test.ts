import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopSource } from '../../../src/client/stop-signal.js';
import { createRng } from '../../../src/core/rng.js';
import { METRIC, POLL_ENDPOINT } from '../../../src/metrics/names.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { GitAskpass, type GitAskpassEnv } from '../../../src/workloads/agents/git-askpass.js';
import { TimerHeap } from '../../../src/workloads/agents/timer-heap.js';
import { SeededStream } from '../../../src/workloads/agents/timing.js';
import { manualClock } from '../../helpers/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { startHttpServer, startReferenceServer } from '../../helpers/loopback.js';
import { recordingSink } from '../../helpers/sink.js';

const EVERY = 60_000;
let server: ReferenceServer;

beforeAll(async () => {
  server = await startReferenceServer({ agents: 1 });
});
afterAll(() => server.close());

/** One helper on a manual clock; `due()` moves the clock to its first operation. */
function helper(protocol: 'v1' | 'v2', baseUrl = server.url, token = server.credentials.agents[0]!.token) {
  const clock = manualClock();
  const metrics = recordingSink();
  const stop = new StopSource();
  const env: GitAskpassEnv = {
    scheduler: new TimerHeap(clock),
    clock,
    metrics,
    baseUrl,
    options: { requestTimeout: 10_000, gitAskpass: { share: 1, every: EVERY, urls: ['https://github.com/coder/coder.git'] } },
  };
  const askpass = new GitAskpass(env, protocol, { token }, new SeededStream(createRng('askpass')), stop.signal);
  askpass.start();
  return { askpass, clock, metrics, stop, due: () => clock.advanceAsync(EVERY) };
}

describe.each([
  ['v1', POLL_ENDPOINT.gitauth],
  ['v2', POLL_ENDPOINT.externalAuth],
] as const)('git credential helper (%s)', (protocol, endpoint) => {
  it('answered: a URL-only lookup starts a listen poll that the sign-in answers', async () => {
    const h = helper(protocol);
    try {
      await h.due();
      await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
      h.clock.advance(5_000); // the owner takes 5 s to sign in
      server.gitAuth.link({ token: 'gho_answer' });
      await eventually(() => h.askpass.polls.answered === 1, 'the poll answered');
      expect(h.askpass.polls).toEqual({ answered: 1, cancelled: 0, error: 0 });
      expect(h.metrics.total(METRIC.gitAuthPolls, { endpoint, outcome: 'answered' })).toBe(1);
      const waited = h.metrics.values(METRIC.gitAuthPoll, { endpoint });
      expect(waited).toHaveLength(1);
      expect(waited[0]).toBeGreaterThanOrEqual(5_000);
      // The plain lookup went to `request`, the poll did not.
      expect(h.metrics.values(METRIC.request).length).toBe(1);
      expect(h.metrics.total(METRIC.error)).toBe(0);
      // Linked now: the next operation gets credentials from the lookup, no poll.
      await h.due();
      await eventually(() => h.metrics.values(METRIC.request).length === 2, 'the second lookup');
      await eventually(() => !h.askpass.busy, 'the operation to end');
      expect(h.askpass.operations).toBe(2);
      expect(h.askpass.polls.answered).toBe(1);
    } finally {
      server.gitAuth.unlink();
      h.stop.abort();
      await h.askpass.stop();
    }
  });

  it('cancelled: the stop signal ends a waiting poll, counted as cancelled and not as an error', async () => {
    const h = helper(protocol);
    await h.due();
    await eventually(() => server.gitAuth.listening() === 1, 'the poll to wait');
    // An operation due while one waits is skipped (that git command is still blocked).
    await h.due();
    expect(h.askpass.operations).toBe(1);
    h.stop.abort();
    await h.askpass.stop();
    expect(h.askpass.polls).toEqual({ answered: 0, cancelled: 1, error: 0 });
    expect(h.metrics.total(METRIC.gitAuthPolls, { endpoint, outcome: 'cancelled' })).toBe(1);
    expect(h.metrics.total(METRIC.error)).toBe(0);
    expect(h.metrics.values(METRIC.gitAuthPoll)).toEqual([]);
    await eventually(() => server.gitAuth.listening() === 0, 'the server to drop the poll');
  });
});

describe('git credential helper against a failing target', () => {
  it('error: a failed poll is an error sample, retried after 250 ms until answered', async () => {
    let polls = 0;
    const stub = await startHttpServer((req, res) => {
      const listen = (req.url ?? '').includes('&listen');
      if (listen && ++polls === 1) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Failed to get external auth link."}');
        return;
      }
      const body = listen
        ? { access_token: 't', token_extra: null, url: '', type: 'github', username: 't', password: '' }
        : { url: 'http://x/external-auth/github' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const h = helper('v2', stub.url, 'token');
    try {
      await h.due();
      await eventually(() => h.askpass.polls.error === 1, 'the failed poll');
      await eventually(() => h.askpass.polls.answered === 1, { what: 'the retried poll answered', clock: h.clock, stepMs: 50 });
      expect(polls).toBe(2);
      expect(h.metrics.total(METRIC.error, { endpoint: POLL_ENDPOINT.externalAuth, class: 'http_500' })).toBe(1);
      expect(h.metrics.total(METRIC.gitAuthPolls, { outcome: 'error' })).toBe(1);
    } finally {
      h.stop.abort();
      await h.askpass.stop();
      await stub.close();
    }
  });
});
