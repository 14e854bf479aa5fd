/**
 * The /api/v2 rate limiter of protocol §3 (httprate v0.7.0 sliding window, keyed by client IP +
 * URL path, as coderd really keys it at this commit). Windows are aligned to wall-clock
 * minutes like Go's `time.Now().Truncate(window)`.
 */
export interface RateDecision {
  allowed: boolean;
  /** Header pairs to add to the response (flat name/value list). */
  headers: string[];
}

export interface RateLimiter {
  check(ip: string, path: string): RateDecision;
  readonly limit: number;
}

interface Entry {
  window: number;
  current: number;
  previous: number;
}

/**
 * `limit` requests per `windowMs` (coderd: 512 per minute). `wallNow` returns epoch ms and is
 * injectable so tests can move across windows.
 */
export function createRateLimiter(limit: number, wallNow: () => number, windowMs = 60_000): RateLimiter {
  const entries = new Map<string, Entry>();
  let sweptWindow = 0;
  const limitText = String(limit);
  const retryAfter = String(Math.floor(windowMs / 1000));
  return {
    limit,
    check(ip, path) {
      const now = wallNow();
      const window = now - (now % windowMs);
      if (window !== sweptWindow) {
        // Entries older than the previous window no longer matter; drop them once per window.
        for (const [key, e] of entries) if (e.window < window - windowMs) entries.delete(key);
        sweptWindow = window;
      }
      const key = `${canonicalIp(ip)}${path}`;
      let e = entries.get(key);
      if (!e) {
        e = { window, current: 0, previous: 0 };
        entries.set(key, e);
      } else if (e.window !== window) {
        e.previous = e.window === window - windowMs ? e.current : 0;
        e.current = 0;
        e.window = window;
      }
      const rate = Math.round((e.previous * (windowMs - (now - window))) / windowMs + e.current);
      const reset = String(Math.floor((window + windowMs) / 1000));
      if (rate >= limit) {
        return {
          allowed: false,
          headers: ['X-RateLimit-Limit', limitText, 'X-RateLimit-Remaining', '0', 'X-RateLimit-Reset', reset, 'Retry-After', retryAfter],
        };
      }
      e.current++;
      return { allowed: true, headers: ['X-RateLimit-Limit', limitText, 'X-RateLimit-Remaining', String(limit - rate - 1), 'X-RateLimit-Reset', reset] };
    },
  };
}

/** httprate's canonicalizeIP: IPv4 (also IPv4-mapped IPv6) as is, IPv6 cut to its /64. */
export function canonicalIp(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::`;
}
