/**
 * Rate limiting of protocol §3: the three headers on every answer (successes, errors, upgrades),
 * one counter per client IP + path, and the 429 once a fresh path has used the whole limit.
 * The probes use paths of their own (unknown routes still count), so nothing real is throttled.
 */
import { randomBytes } from 'node:crypto';
import { compare, ensure, fail, pass, skip, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
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

function headerCheck(name: string, title: string, send: (ctx: ConformContext) => Promise<{ headers: Record<string, string>; what: string }>, mutates = false): ConformCheck {
  return {
    id: `rate-limit.${name}`,
    title,
    cite: 'protocol §1.1, §3',
    mutates,
    run: async (ctx) => {
      const { headers, what } = await send(ctx);
      const problem = headersProblem(headers, Math.floor(Date.now() / 1000));
      return problem ? fail(`${what}: ${EXPECTED_HEADERS}`, `${what}: ${problem}`) : pass(`${what}: ${EXPECTED_HEADERS}`, `${what}: ${JSON.stringify(headersOf(headers))}`);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
        const result = await scope.open({ path: `${AGENTS_PATH}/${ctx.agent('rate-limit').id}/coordinate`, tokens: [{ token: ctx.credentials.userToken, place: 'cookie' }] });
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
        const path = uniquePath('burst');
        let res = await ctx.http.send({ path });
        let h = headersOf(res.headers);
        if (typeof h === 'string') return fail(EXPECTED_HEADERS, h);
        if (h.limit > MAX_BURST_LIMIT) return skip(`the limit is ${h.limit} per minute; the burst is only run for limits up to ${MAX_BURST_LIMIT}`);
        // A burst that crosses a window boundary mixes two windows' counts: start in a fresh one.
        const leftMs = h.reset * 1000 - Date.now();
        if (leftMs < 5_000) {
          await sleep(Math.max(0, leftMs) + 100);
          res = await ctx.http.send({ path: (path + '-next') });
          h = headersOf(res.headers);
          if (typeof h === 'string') return fail(EXPECTED_HEADERS, h);
        }
        const burstPath = leftMs < 5_000 ? path + '-next' : path;
        const limit = h.limit;
        let served = 1;
        let refused: ProbeResponse | undefined;
        // Sequential batches of 8: quick on loopback, and the count stays exact.
        while (!refused && served <= limit) {
          const batch = await Promise.all(Array.from({ length: 8 }, () => ctx.http.send({ path: burstPath })));
          for (const r of batch) {
            if (r.status === 429) refused ??= r;
            else if (r.status === 0) return fail('answers to every request', describeResponse(r));
            else served++;
          }
        }
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
