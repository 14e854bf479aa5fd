/**
 * Scenario durations: `"250ms"`, `"30s"`, `"2m"`, `"1h"`, compounds like `"1m30s"`, decimals like
 * `"1.5s"`; a plain number is already milliseconds. Stored as milliseconds after validation.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
// One or more <number><unit> groups, nothing else (Go's time.ParseDuration minus ns/us/sign).
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const GROUP = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;

/** Renders a user value for an error message: strings quoted, everything else as JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/**
 * Parses a duration into milliseconds. Numbers are milliseconds (finite, >= 0).
 * @throws Error whose message reads `expected a duration like "30s", got "3x"` (plus a hint
 * when the fix is obvious, such as a missing unit).
 */
export function parseDuration(text: string | number): number {
  const fail = (hint = ''): never => {
    throw new Error(`expected a duration like "30s", got ${showValue(text)}${hint}`);
  };
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) fail(' (a number of milliseconds >= 0)');
    return text;
  }
  if (typeof text !== 'string') return fail();
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) fail(` (add a unit: "${trimmed}ms" or "${trimmed}s")`);
  if (trimmed.startsWith('-')) fail(' (durations cannot be negative)');
  if (!WHOLE.test(trimmed)) fail(' (units: ms, s, m, h)');
  let total = 0;
  for (const match of trimmed.matchAll(GROUP)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  // Decimal inputs like "0.1s" must not leave float dust (100.00000000000001).
  return Math.round(total * 1000) / 1000;
}

/**
 * Formats milliseconds as the shortest readable duration that {@link parseDuration} reads back
 * to the same value: `0s`, `250ms`, `1.5s`, `1m30s`, `2h`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1_000) return `${trimNumber(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1_000;
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (seconds > 0) out += `${trimNumber(seconds)}s`;
  return out;
}

function trimNumber(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
