import { describe, expect, it } from 'vitest';
import { encodeGoJson } from '../../src/protocol/go-json.js';
import { fastGoJson } from '../../src/server/http/reply.js';

describe('fastGoJson', () => {
  it('writes the same text as encodeGoJson, bigints and HTML escapes included', () => {
    const values: unknown[] = [
      undefined,
      null,
      'a<b>&c\u2028\u2029',
      { a: 1, b: undefined, c: [1, 'x', null, { d: '<script>' }], e: 1.5e-7, f: 300_000_000_000 },
      { id: 123456789012345678901234567890n, nested: [{ key: -5n }], s: '&' },
      [undefined, () => 1, new Date(0)],
    ];
    for (const value of values) expect(fastGoJson(value)).toBe(encodeGoJson(value));
  });
});
