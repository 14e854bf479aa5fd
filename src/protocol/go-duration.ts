/**
 * Go time.Duration helpers. On the wire a Duration is an integer count of nanoseconds
 * (protocol §1.4: `report_interval: 600000000000` is 10 minutes); in fleetsim durations are ms.
 */

/** Milliseconds → integer nanoseconds (the JSON value of a Go Duration). */
export function msToNs(ms: number): number {
  return Math.round(ms * 1e6);
}

/** Nanoseconds (a Go Duration from JSON) → milliseconds. */
export function nsToMs(ns: number): number {
  return ns / 1e6;
}

/**
 * Go's Duration.String() for a duration given in ms: "1m0s", "10m0s", "1h0m0s", "1.5s",
 * "500ms", "1.5µs", "0s". Exact for any whole number of nanoseconds.
 */
export function formatGoDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  if (neg) ns = -ns;
  const sign = neg ? '-' : '';
  if (ns < 1_000_000_000n) {
    // Sub-second: one unit with a fraction.
    if (ns < 1_000n) return `${sign}${ns}ns`;
    if (ns < 1_000_000n) return `${sign}${fraction(ns, 1_000n)}µs`;
    return `${sign}${fraction(ns, 1_000_000n)}ms`;
  }
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = fraction(ns % 60_000_000_000n, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / unit` as decimal text without trailing fraction zeros. */
function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
