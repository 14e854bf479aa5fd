/**
 * Go time.Time JSON decoding (Go 1.19 `Time.UnmarshalJSON` = `time.Parse("\"" + RFC3339 + "\"", raw)`)
 * and its re-encoding (`MarshalJSON` = RFC3339Nano), for the Node `as_of` field (protocol §7.2).
 */
import { goQuote } from './go-json.js';

const LAYOUT = '"2006-01-02T15:04:05Z07:00"';

/** A Go time.ParseError, message included. */
export class GoTimeError extends Error {
  override readonly name = 'GoTimeError';
}

type Step = { lit: string } | { num: '2006' | '01' | '02' | '15' | '04' | '05' } | { zone: true };
const STEPS: Step[] = [
  { lit: '"' },
  { num: '2006' },
  { lit: '-' },
  { num: '01' },
  { lit: '-' },
  { num: '02' },
  { lit: 'T' },
  { num: '15' },
  { lit: ':' },
  { num: '04' },
  { lit: ':' },
  { num: '05' },
  { zone: true },
  { lit: '"' },
];

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const CANONICAL = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;

/**
 * Fast path for a JSON string value (unquoted text): the usual `…Z` form is checked with one regex;
 * anything else goes through the full Go-layout walk of reencodeGoTimeJson.
 */
export function reencodeGoTimeString(text: string): string {
  const m = CANONICAL.exec(text);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year) && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59) {
      const frac = m[7];
      if (frac === undefined || frac.charCodeAt(frac.length - 1) !== 0x30) return text;
      const trimmed = frac.replace(/0+$/, '');
      return `${text.slice(0, 19)}${trimmed ? '.' + trimmed : ''}Z`;
    }
  }
  return reencodeGoTimeJson(JSON.stringify(text));
}

/**
 * Parses the raw JSON text of a time value (quotes included) like Go and returns the text Go would
 * encode back: trailing fraction zeros dropped, a zero offset written as `Z`, other offsets kept.
 * Throws GoTimeError with Go's message.
 */
export function reencodeGoTimeJson(raw: string): string {
  let value = raw;
  const cannot = (elem: string): never => {
    throw new GoTimeError(`parsing time ${goQuote(raw)} as ${goQuote(LAYOUT)}: cannot parse ${goQuote(value)} as ${goQuote(elem)}`);
  };
  const range = (what: string): never => {
    throw new GoTimeError(`parsing time ${goQuote(raw)}: ${what} out of range`);
  };
  const f: Record<string, number> = {};
  let fraction = '';
  let zone = 'Z';
  for (const step of STEPS) {
    if ('lit' in step) {
      if (!value.startsWith(step.lit)) cannot(step.lit);
      value = value.slice(step.lit.length);
    } else if ('num' in step) {
      const width = step.num.length;
      if (value.length < width || !isDigitAt(value, 0) || !isDigitAt(value, width - 1) || (width === 4 && !/^\d{4}/.test(value))) {
        cannot(step.num);
      }
      f[step.num] = Number(value.slice(0, width));
      value = value.slice(width);
      if (step.num === '05' && value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1)) {
        let n = 1;
        while (n < value.length && isDigitAt(value, n)) n++;
        fraction = value.slice(1, Math.min(n, 10));
        value = value.slice(n);
      }
    } else {
      if (value.startsWith('Z')) {
        value = value.slice(1);
      } else {
        const m = /^[+-]\d\d:\d\d/.exec(value);
        if (!m) cannot('Z07:00');
        const off = (m as RegExpExecArray)[0];
        zone = off.slice(1) === '00:00' ? 'Z' : off;
        value = value.slice(6);
      }
    }
  }
  if (value.length > 0) throw new GoTimeError(`parsing time ${goQuote(raw)}: extra text: ${goQuote(value)}`);
  const year = f['2006'] as number;
  const month = f['01'] as number;
  const day = f['02'] as number;
  if (month < 1 || month > 12) range('month');
  if (day < 1 || day > daysIn(month, year)) range('day');
  if ((f['15'] as number) > 23) range('hour');
  if ((f['04'] as number) > 59) range('minute');
  if ((f['05'] as number) > 59) range('second');
  const trimmed = fraction.replace(/0+$/, '');
  const head = raw.slice(1, 20); // "2006-01-02T15:04:05" (validated above)
  return `${head}${trimmed ? '.' + trimmed : ''}${zone}`;
}
