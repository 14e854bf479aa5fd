/**
 * Validation of flag values, run first in every handler so a bad value is a usage error
 * (exit 2) before any work. Numeric flags are declared to yargs as strings and parsed here:
 * yargs' `type: 'number'` turns "abc" into NaN without complaint and loses the text the user
 * typed, which the message should quote.
 */
import { FleetsimError } from '../core/errors.js';
import { parseDuration } from '../scenario/duration.js';
import { parseSourceAddresses } from '../core/source-addresses.js';

function usage(flag: string, expected: string, value: unknown): never {
  throw new FleetsimError('usage', `--${flag} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
}

/** The flag's text as a number: only plain decimal notation, so "", "0x10" and "1e3" are refused. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !/^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) return Number.NaN;
  return Number(value);
}

/** A whole number within [min, max]. */
export function wholeNumberFlag(flag: string, value: unknown, range: { min?: number; max?: number } = {}): number {
  const { min = 0, max } = range;
  const n = toNumber(value);
  if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
    usage(flag, max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`, value);
  }
  return n;
}

/** A finite number >= min. */
export function numberFlag(flag: string, value: unknown, range: { min?: number } = {}): number {
  const { min = 0 } = range;
  const n = toNumber(value);
  if (!Number.isFinite(n) || n < min) usage(flag, `a number >= ${min}`, value);
  return n;
}

/** A duration like "30s", in ms; `positive` also refuses 0. */
export function durationFlag(flag: string, value: unknown, options: { positive?: boolean } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(typeof value === 'string' ? value : String(value));
  } catch (error) {
    throw new FleetsimError('usage', `--${flag}: ${(error as Error).message}`);
  }
  if (options.positive && ms <= 0) usage(flag, 'a duration greater than 0', value);
  return ms;
}

/** A non-empty string. */
export function textFlag(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') usage(flag, 'a non-empty value', value);
  return value as string;
}

/** `--source-addresses`: the list it names (core/source-addresses.ts), or a usage error quoting the problem. */
export function sourceAddressesFlag(value: unknown): string[] {
  try {
    return parseSourceAddresses(textFlag('source-addresses', value));
  } catch (error) {
    if (error instanceof FleetsimError) throw error;
    throw new FleetsimError('usage', `--source-addresses: ${(error as Error).message}`, {
      hint: 'e.g. --source-addresses 127.0.0.2-9, or 10.0.0.5,10.0.0.6,fd00::5',
    });
  }
}
