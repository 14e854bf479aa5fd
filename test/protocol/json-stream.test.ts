import { describe, expect, it } from 'vitest';
import { JsonStreamDecoder, JsonStreamError } from '../../src/protocol/json-stream.js';

function feedBytewise(text: string | Buffer): string[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const d = new JsonStreamDecoder();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
  return out;
}

describe('JsonStreamDecoder', () => {
  it('splits packed values with and without whitespace', () => {
    const d = new JsonStreamDecoder();
    expect(d.push(Buffer.from('{"a":1}{"b":[2,3]}\n[] "s" true null 12 '))).toEqual(['{"a":1}', '{"b":[2,3]}', '[]', '"s"', 'true', 'null', '12']);
    expect(d.pending).toBe(false);
  });

  it('joins a value split across chunks, keeping multi-byte UTF-8 intact', () => {
    const text = '{"name":"héllo wörld 😀","n":[1,{"x":"\\u00e9\\""}]}';
    expect(feedBytewise(text)).toEqual([text]);
    const bytes = Buffer.from(text + text);
    // Split in the middle of the 4-byte emoji.
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    const d = new JsonStreamDecoder();
    expect(d.push(bytes.subarray(0, cut))).toEqual([]);
    expect(d.pending).toBe(true);
    expect(d.push(bytes.subarray(cut))).toEqual([text, text]);
  });

  it('ends a top-level number only at the next non-number byte', () => {
    const d = new JsonStreamDecoder();
    expect(d.push(Buffer.from('12'))).toEqual([]);
    expect(d.push(Buffer.from('34.5e1'))).toEqual([]);
    expect(d.push(Buffer.from(' {}'))).toEqual(['1234.5e1', '{}']);
  });

  it('reports syntax errors with Go decoder messages and stays failed', () => {
    const cases: Array<[string, string]> = [
      ['{"a" 1}', "invalid character '1' after object key"],
      ['[1 2]', "invalid character '2' after array element"],
      ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
      ['x', "invalid character 'x' looking for beginning of value"],
      ['{1}', "invalid character '1' looking for beginning of object key string"],
      ['"\\q"', "invalid character 'q' in string escape code"],
      ['"a\nb"', "invalid character '\\n' in string literal"],
      ['nul!', "invalid character '!' in literal null (expecting 'l')"],
      ['[1.]', "invalid character ']' after decimal point in numeric literal"],
      ['-x', "invalid character 'x' in numeric literal"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ];
    for (const [input, message] of cases) {
      const d = new JsonStreamDecoder();
      expect(() => d.push(Buffer.from(input)), input).toThrow(message);
      expect(() => d.push(Buffer.from('{}'))).toThrow(JsonStreamError);
    }
  });

  it('emits the values before an error in the same chunk only via exception', () => {
    const d = new JsonStreamDecoder();
    expect(() => d.push(Buffer.from('{} }'))).toThrow(/looking for beginning of value/);
  });

  it('limits the bytes buffered for one unfinished value', () => {
    const d = new JsonStreamDecoder({ maxBufferedBytes: 10 });
    d.push(Buffer.from('{"a":"012'));
    expect(() => d.push(Buffer.from('3456789'))).toThrow(JsonStreamError);
  });

  it('accepts plain Uint8Array chunks', () => {
    const d = new JsonStreamDecoder();
    expect(d.push(new TextEncoder().encode('[1]'))).toEqual(['[1]']);
  });
});
