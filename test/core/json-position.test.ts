import { describe, expect, it } from 'vitest';
import { jsonSyntaxErrorPosition, positionAt } from '../../src/core/json-position.js';
import { createRng } from '../../src/core/rng.js';

describe('jsonSyntaxErrorPosition', () => {
  it('finds the first bad character as line:column', () => {
    expect(jsonSyntaxErrorPosition('{\n  "a": 1,\n  "b": x\n}')).toEqual({ line: 3, column: 8 });
    expect(jsonSyntaxErrorPosition('{"a": "tok" "b": 1}')).toEqual({ line: 1, column: 13 });
    expect(jsonSyntaxErrorPosition('{"a": 1,}')).toEqual({ line: 1, column: 9 });
    expect(jsonSyntaxErrorPosition('{"a": "unterminated')).toEqual({ line: 1, column: 20 });
    expect(jsonSyntaxErrorPosition('')).toEqual({ line: 1, column: 1 });
    expect(jsonSyntaxErrorPosition('[1] 2')).toEqual({ line: 1, column: 5 });
    expect(jsonSyntaxErrorPosition('"\\x"')).toEqual({ line: 1, column: 3 });
  });

  it('agrees with JSON.parse on what is valid, over seeded mutations of a credentials-like document', () => {
    const base = JSON.stringify(
      { url: 'http://127.0.0.1:7080', userToken: 'abcdefghij-0123456789abcdefghijkl', agents: [{ id: 1, ok: true, n: null, x: -1.5e3 }] },
      null,
      2,
    );
    const rng = createRng('json-position');
    const alphabet = '{}[]",: \n\\-.0123456789eEtrufalsn';
    for (let i = 0; i < 2_000; i++) {
      const at = Math.floor(rng.next() * base.length);
      const ch = alphabet[Math.floor(rng.next() * alphabet.length)]!;
      const mutated = rng.next() < 0.5 ? base.slice(0, at) + ch + base.slice(at + 1) : base.slice(0, at) + base.slice(at + 1);
      let valid = true;
      try {
        JSON.parse(mutated);
      } catch {
        valid = false;
      }
      expect(jsonSyntaxErrorPosition(mutated) === undefined, mutated).toBe(valid);
    }
  });

  it('positionAt counts lines and columns from 1', () => {
    expect(positionAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
