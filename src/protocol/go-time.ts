/**
 * Go `time.Time` JSON text: RFC 3339 in UTC with up to nanosecond digits, trailing zeros dropped
 * (coderd rounds to µs, protocol §1.4). `formatGoTime(ms)` keeps µs from a fractional ms value.
 */
export function formatGoTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.round((epochMs - wholeMs) * 1000);
  const base = new Date(wholeMs).toISOString(); // 2023-01-29T21:47:24.123Z
  const totalMicros = (((wholeMs % 1000) + 1000) % 1000) * 1000 + Math.min(micros, 999);
  const head = base.slice(0, 19);
  if (totalMicros === 0) return `${head}Z`;
  const digits = String(totalMicros).padStart(6, '0').replace(/0+$/, '');
  return `${head}.${digits}Z`;
}

/** The Go zero time as encoded by encoding/json. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
