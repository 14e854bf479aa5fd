/**
 * Rate limiting of protocol §3: the three headers on every answer (successes, errors, upgrades),
 * one counter per client IP + path, and the 429 once a fresh path has used the whole limit.
 * The probes use paths of their own (unknown routes still count), so nothing real is throttled.
 */
import { randomBytes } from 'node:crypto';
import { compare, ensure, fail, pass, skip, type CheckOutcome, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
import { describeResponse, type ProbeResponse } from '../http-probe.js';
import { sdkBody } from '../http-cases.js';
import { AGENTS_PATH, withSockets } from '../sockets.js';

/** Above this limit the 429 check would need too many requests to stay quick. */
const MAX_BURST_LIMIT = 1024;

interface Headers3 {
  limit: number;
  remaining: number;
  reset: number;
}

function headersOf(headers: Record<string, string>): Headers3 | string {
  const read = (name: string): number | undefined => (headers[name] !== undefined && /^\d+$/.test(headers[name]) ? Number(headers[name]) : undefined);
  const limit = read('x-ratelimit-limit');
  const remaining = read('x-ratelimit-remaining');
  const reset = read('x-ratelimit-reset');
  if (limit === undefined || remaining === undefined || reset === undefined) {
    return `X-RateLimit-Limit ${headers['x-ratelimit-limit'] ?? '(none)'}, -Remaining ${headers['x-ratelimit-remaining'] ?? '(none)'}, -Reset ${headers['x-ratelimit-reset'] ?? '(none)'}`;
  }
  return { limit, remaining, reset };
}

/** The three headers, well-formed: integers, remaining <= limit, reset within the coming minute. */
function headersProblem(headers: Record<string, string>, nowSec: number): string | undefined {
  const h = headersOf(headers);
  if (typeof h === 'string') return h;
  if (h.remaining > h.limit) return `remaining ${h.remaining} > limit ${h.limit}`;
  if (h.reset < nowSec - 1 || h.reset > nowSec + 61) return `reset ${h.reset} not within the current minute (now ${nowSec})`;
  return undefined;
}

const EXPECTED_HEADERS = 'X-RateLimit-Limit, -Remaining (<= limit), -Reset (Unix s, within the minute)';
const uniquePath = (tag: string): string => `${AGENTS_PATH}/me/conform-rate-${tag}-${randomBytes(4).toString('hex')}`;

function headerCheck(
  name: string,
  title: string,
  send: (ctx: ConformContext) => Promise<{ headers: Record<string, string>; what: string }>,
  mutates = false,
): ConformCheck {
  return {
    id: `rate-limit.${name}`,
    title,
    cite: 'protocol §1.1, §3',
    mutates,
    run: async (ctx) => {
      const { headers, what } = await send(ctx);
      const problem = headersProblem(headers, Math.floor(Date.now() / 1000));
      return problem
        ? fail(`${what}: ${EXPECTED_HEADERS}`, `${what}: ${problem}`)
        : pass(`${what}: ${EXPECTED_HEADERS}`, `${what}: ${JSON.stringify(headersOf(headers))}`);
    },
  };
}

type Burst = { limit: number; served: number; refused?: ProbeResponse } | { crossed: true } | { failure: CheckOutcome };

/** Requests to a path of its own until the first 429 (at most limit + 8); a skip reason when the limit is too high. */
async function burstUntil429(ctx: ConformContext): Promise<Burst | string> {
  const path = uniquePath('burst');
  const first = await ctx.http.send({ path });
  const h = headersOf(first.headers);
  if (typeof h === 'string') return { failure: fail(EXPECTED_HEADERS, h) };
  if (h.limit > MAX_BURST_LIMIT) return `the limit is ${h.limit} per minute; the burst is only run for limits up to ${MAX_BURST_LIMIT}`;
  let served = 1;
  let refused: ProbeResponse | undefined;
  let last = first;
  // Batches of 8: quick on loopback, and the count stays exact.
  while (!refused && served <= h.limit) {
    const batch = await Promise.all(Array.from({ length: 8 }, () => ctx.http.send({ path })));
    for (const r of batch) {
      if (r.status === 0) return { failure: fail('an answer to every request', describeResponse(r)) };
      if (r.status === 429) refused ??= r;
      else served++;
      last = r;
    }
  }
  const endReset = (refused ?? last).headers['x-ratelimit-reset'];
  if (endReset !== undefined && endReset !== first.headers['x-ratelimit-reset']) return { crossed: true };
  return { limit: h.limit, served, refused };
}

export const rateLimitGroup: ConformGroup = {
  name: 'rate-limit',
  describe: 'X-RateLimit-* headers, IP+path keying, 429 body (§3)',
  checks: [
    headerCheck('headers-on-success', 'rate-limit headers on a 200', async (ctx) => {
      const res = await ctx.http.send({ path: `${AGENTS_PATH}/me/metadata`, tokens: [{ token: ctx.agent('rate-limit').token, place: 'header' }] });
      return { headers: res.headers, what: `${res.status} GET /me/metadata` };
    }),
    headerCheck('headers-on-error', 'rate-limit headers on a 401', async (ctx) => {
      const res = await ctx.http.send({ path: `${AGENTS_PATH}/me/metadata` });
      return { headers: res.headers, what: `${res.status} GET /me/metadata` };
    }),
    headerCheck('headers-on-upgrade', 'rate-limit headers on a 101 upgrade', (ctx) =>
      withSockets(ctx, async (scope) => {
        const result = await scope.open({
          path: `${AGENTS_PATH}/${ctx.agent('rate-limit').id}/coordinate`,
          tokens: [{ token: ctx.credentials.userToken, place: 'cookie' }],
        });
        return { headers: result.headers, what: result.ok ? '101 GET /{id}/coordinate' : `${describeResponse(result)} GET /{id}/coordinate` };
      }),
    ),
    {
      id: 'rate-limit.keyed-by-path',
      title: 'a path never used before has its own counter: remaining = limit - 1, then one less',
      cite: 'protocol §3',
      run: async (ctx) => {
        const path = uniquePath('key');
        const first = headersOf((await ctx.http.send({ path })).headers);
        const second = headersOf((await ctx.http.send({ path })).headers);
        if (typeof first === 'string' || typeof second === 'string') return fail(EXPECTED_HEADERS, typeof first === 'string' ? first : (second as string));
        return compare(`remaining ${first.limit - 1}, then ${first.limit - 2}`, `remaining ${first.remaining}, then ${second.remaining}`);
      },
    },
    {
      id: 'rate-limit.429-after-limit',
      title: 'a fresh path serves exactly `limit` requests, then 429 with Retry-After: 60 and the codersdk body',
      cite: 'protocol §3',
      run: async (ctx) => {
        let burst = await burstUntil429(ctx);
        // A burst that crossed a window boundary mixes two windows' counts; a new path in the
        // new window is fresh again, and a minute is far longer than one burst.
        if (typeof burst !== 'string' && 'crossed' in burst) burst = await burstUntil429(ctx);
        if (typeof burst === 'string') return skip(burst);
        if ('crossed' in burst) return fail('a burst within one rate-limit window', 'two bursts in a row crossed a window boundary');
        if ('failure' in burst) return burst.failure;
        const { limit, served, refused } = burst;
        ensure(refused !== undefined, `429 after ${limit} requests`, `${served} requests served, none refused`);
        const body = sdkBody(`You've been rate limited for sending more than ${limit} requests in 1m0s.`);
        return compare(
          `${limit} served, then 429 ${body.trimEnd()} with Retry-After: 60`,
          `${served} served, then ${describeResponse(refused).replace(/\\n$/, '')} with Retry-After: ${refused.headers['retry-after'] ?? '(none)'}`,
        );
      },
    },
  ],
};
