/**
 * Where a JSON text stops being valid, as line:column, without quoting any of it. For files
 * that hold secrets (credentials): JSON.parse's own message embeds a snippet of the text around
 * the error, which can be part of a token.
 */

export interface TextPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like an editor's column. */
  column: number;
}

/** The position of the first JSON syntax error in `text`, or undefined when it parses. */
export function jsonSyntaxErrorPosition(text: string): TextPosition | undefined {
  const offset = firstErrorOffset(text);
  return offset === undefined ? undefined : positionAt(text, offset);
}

/** Offset → 1-based line and column. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Stop {
  constructor(readonly offset: number) {}
}

/** A strict JSON (RFC 8259) recogniser that reports the offset of the first bad character. */
function firstErrorOffset(text: string): number | undefined {
  let pos = 0;
  const fail = (at = pos): never => {
    throw new Stop(at);
  };
  const space = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[pos] !== ch) fail();
      pos++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[pos] ?? '')) fail();
    while (/[0-9]/.test(text[pos] ?? '')) pos++;
  };
  const number = (): void => {
    if (text[pos] === '-') pos++;
    if (text[pos] === '0') pos++;
    else digits();
    if (text[pos] === '.') {
      pos++;
      digits();
    }
    if (text[pos] === 'e' || text[pos] === 'E') {
      pos++;
      if (text[pos] === '+' || text[pos] === '-') pos++;
      digits();
    }
  };
  const string = (): void => {
    pos++; // opening quote
    for (;;) {
      if (pos >= text.length) fail();
      const ch = text.charCodeAt(pos);
      if (ch === 34) {
        pos++;
        return;
      }
      if (ch < 0x20) fail();
      if (ch === 92) {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail(pos + 1);
          pos += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) pos += 2;
        else fail(pos + 1);
      } else pos++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 512) fail();
    space();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      space();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        space();
        if (text[pos] !== '"') fail();
        string();
        space();
        if (text[pos] !== ':') fail();
        pos++;
        value(depth + 1);
        space();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return;
        } else fail();
      }
    }
    if (ch === '[') {
      pos++;
      space();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (;;) {
        value(depth + 1);
        space();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return;
        } else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || /[0-9]/.test(ch ?? '')) return number();
    fail();
  };
  try {
    value(0);
    space();
    if (pos < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return error.offset;
    throw error;
  }
}
