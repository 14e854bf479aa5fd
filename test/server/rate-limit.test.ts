import { afterEach, describe, expect, it } from 'vitest';
import { canonicalIp, createRateLimiter } from '../../src/server/http/rate-limit.js';
import type { ReferenceServer } from '../../src/server/reference-server.js';
import { call, ME } from './helpers.js';
import { manualClock } from '../helpers/clock.js';
import { startReferenceServer } from '../helpers/loopback.js';

describe('rate limiter (§3) unit', () => {
  it('uses a sliding window over wall-clock minutes', () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 0);
    const limiter = createRateLimiter(4, () => now);
    const results = [1, 2, 3, 4, 5].map(() => limiter.check('127.0.0.1', '/p'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
    expect(results[0]!.headers).toEqual(['X-RateLimit-Limit', '4', 'X-RateLimit-Remaining', '3', 'X-RateLimit-Reset', String(now / 1000 + 60)]);
    expect(results[4]!.headers).toContain('Retry-After');
    // Another path or IP has its own counter.
    expect(limiter.check('127.0.0.1', '/q').allowed).toBe(true);
    expect(limiter.check('127.0.0.2', '/p').allowed).toBe(true);
    // Half-way through the next window the previous count weighs half: 4 × 0.5 = 2 < 4.
    now += 90_000;
    expect(limiter.check('127.0.0.1', '/p').allowed).toBe(true);
    expect(limiter.check('127.0.0.1', '/p').allowed).toBe(true);
    expect(limiter.check('127.0.0.1', '/p').allowed).toBe(false);
    now += 120_000;
    expect(limiter.check('127.0.0.1', '/p').allowed).toBe(true);
  });

  it('keys IPv4-mapped addresses as IPv4 and IPv6 by /64', () => {
    expect(canonicalIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalIp('2001:db8:1:2:3:4:5:6')).toBe(canonicalIp('2001:db8:1:2:ffff::1'));
    expect(canonicalIp('::1')).toBe('0:0:0:0::');
  });
});

describe('rate limit on the server', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('adds the headers on every /api/v2 response and answers 429 past the limit', async () => {
    const clock = manualClock({ wallStartMs: Date.UTC(2026, 0, 1, 0, 0, 10) });
    server = await startReferenceServer({ rateLimit: 3, clock });
    const token = server.credentials.agents[0]!.token;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(server, `${ME}/metadata`, { token }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    const reset = String(Date.UTC(2026, 0, 1, 0, 1, 0) / 1000);
    for (const a of answers) {
      expect(a.headers.get('x-ratelimit-limit')).toBe('3');
      expect(a.headers.get('x-ratelimit-reset')).toBe(reset);
    }
    const limited = answers[3]!;
    expect(limited.text).toBe('{"message":"You\'ve been rate limited for sending more than 3 requests in 1m0s."}\n');
    expect(limited.headers.get('retry-after')).toBe('60');
    // Unknown /api/v2 paths are limited (and carry headers) too; each path has its own counter.
    const notFound = await call(server, '/api/v2/nope');
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-ratelimit-limit')).toBe('3');
    // The next window restores service.
    clock.advance(120_000);
    expect((await call(server, `${ME}/metadata`, { token })).status).toBe(200);
  });

  it('is off when the limit is <= 0: no headers, no 429', async () => {
    server = await startReferenceServer({ rateLimit: -1 });
    const token = server.credentials.agents[0]!.token;
    const s = server;
    for (let batch = 0; batch < 520; batch += 40) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => call(s, `${ME}/metadata`, { token })));
      for (const r of answers) if (r.status !== 200 || r.headers.has('x-ratelimit-limit')) throw new Error(`status ${r.status}`);
    }
    expect(server.counters().totals.rateLimited).toBe(0);
  });

  it('uses 512 per minute by default', async () => {
    server = await startReferenceServer({ rateLimit: undefined });
    const r = await call(server, '/api/v2/workspaceagents/me/metadata');
    expect(r.headers.get('x-ratelimit-limit')).toBe('512');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('511');
  });
});
