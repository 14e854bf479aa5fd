import { describe, expect, it } from 'vitest';
import { parseLossless, parseRaw, type RawNumber, type RawObject } from '../../src/protocol/lossless-json.js';
import { marshalGoJson } from '../../src/protocol/go-json.js';

describe('parseLossless', () => {
  it('keeps int64 values beyond 2^53 as bigint and writes them back exactly', () => {
    const text = '{"id":6196346937711212345,"small":12,"neg":-9223372036854775808,"f":1.5,"s":"6196346937711212345"}';
    const value = parseLossless(text) as Record<string, unknown>;
    expect(value.id).toBe(6196346937711212345n);
    expect(value.small).toBe(12);
    expect(value.neg).toBe(-9223372036854775808n);
    expect(value.s).toBe('6196346937711212345');
    expect(marshalGoJson(value)).toBe(text);
  });
  it('matches JSON.parse on ordinary text', () => {
    const text = '{"a":[1,2,{"b":null,"c":true}],"d":"x\\u00e9\\n","e":-0.5e3}';
    expect(parseLossless(text)).toEqual(JSON.parse(text));
  });
  it('does not let __proto__ change the prototype', () => {
    const v = parseLossless('{"__proto__":{"x":1},"id":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'id']);
  });
  it('rejects invalid JSON', () => {
    expect(() => parseLossless('{"id":12345678901234567890,}')).toThrow(/looking for beginning of object key string/);
    expect(() => parseLossless('[12345678901234567890')).toThrow(/unexpected end of JSON input/);
  });
});

describe('parseRaw', () => {
  it('keeps number text, key order and duplicates', () => {
    const v = parseRaw('{"a":1.0,"A":2,"a":[3e0]}') as RawObject;
    expect(v.keys).toEqual(['a', 'A', 'a']);
    expect((v.values[0] as RawNumber).text).toBe('1.0');
    expect(((v.values[2] as unknown[])[0] as RawNumber).text).toBe('3e0');
  });
});
