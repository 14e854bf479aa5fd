import { describe, expect, it } from 'vitest';
import { encodeGoJson, marshalGoJson, goQuote } from '../../src/protocol/go-json.js';
import { coderResponse } from '../../src/protocol/codersdk-response.js';
import { formatGoDuration, msToNs, nsToMs } from '../../src/protocol/go-duration.js';

describe('encodeGoJson', () => {
  it('escapes HTML characters and appends a newline like Go json.Encoder', () => {
    expect(encodeGoJson({ message: 'a<b>&c' })).toBe('{"message":"a\\u003cb\\u003e\\u0026c"}\n');
    expect(encodeGoJson(null)).toBe('null\n');
    expect(encodeGoJson('\u2028')).toBe('"\\u2028"\n');
  });
  it('writes bigint values as raw digits', () => {
    expect(encodeGoJson({ id: 6196346937711212345n, n: [1n, -2n] })).toBe('{"id":6196346937711212345,"n":[1,-2]}\n');
    expect(marshalGoJson({ a: 1 })).toBe('{"a":1}');
  });
  it('quotes like strconv.Quote', () => {
    expect(goQuote('a"b\n\x01')).toBe('"a\\"b\\n\\x01"');
  });
});

describe('coderResponse', () => {
  it('omits empty detail and validations', () => {
    expect(JSON.stringify(coderResponse('Route not found.'))).toBe('{"message":"Route not found."}');
    expect(coderResponse('m', '', [])).toEqual({ message: 'm' });
    expect(coderResponse('m', 'd', [{ field: 'f', detail: 'x' }])).toEqual({ message: 'm', detail: 'd', validations: [{ field: 'f', detail: 'x' }] });
  });
});

describe('Go durations', () => {
  it('converts ms and ns', () => {
    expect(msToNs(600_000)).toBe(600_000_000_000);
    expect(nsToMs(600_000_000_000)).toBe(600_000);
  });
  it('formats like Duration.String()', () => {
    expect(formatGoDuration(60_000)).toBe('1m0s');
    expect(formatGoDuration(600_000)).toBe('10m0s');
    expect(formatGoDuration(1500)).toBe('1.5s');
    expect(formatGoDuration(500)).toBe('500ms');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(3_600_000)).toBe('1h0m0s');
    expect(formatGoDuration(3_723_500)).toBe('1h2m3.5s');
    expect(formatGoDuration(0.0015)).toBe('1.5µs');
    expect(formatGoDuration(0.000001)).toBe('1ns');
    expect(formatGoDuration(-1500)).toBe('-1.5s');
    expect(formatGoDuration(1.25)).toBe('1.25ms');
  });
});
