/**
 * JSON parsing that does not lose int64 values (protocol §7.2: node ids are random 63-bit
 * integers).
 *
 * - `parseLossless(text)`: like JSON.parse, but an integer literal outside the safe range becomes
 *   a `bigint`, so `6196346937711212345` survives a round trip. Falls back to JSON.parse (fast)
 *   when the text holds no run of 16+ digits.
 * - `parseRaw(text)`: a tree that keeps every number's literal text and every object's key order
 *   and duplicates, for decoders that must apply Go's typing rules (`1.0` is not an int64).
 */

/** A number as written in the JSON text. */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** An object with its keys in order (duplicates kept, as Go's decoder sees them). */
export class RawObject {
  readonly keys: string[] = [];
  readonly values: RawValue[] = [];
}

export type RawValue = null | boolean | string | RawNumber | RawObject | RawValue[];

/** A JSON syntax error with a Go-like message. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

const LONG_DIGITS = /\d{16,}/;

/** JSON.parse, except integers beyond ±(2^53-1) become bigint. */
export function parseLossless(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return new Parser(text, false).parseDocument();
}

/** Parses into a RawValue tree (numbers as literal text, objects as ordered key lists). */
export function parseRaw(text: string): RawValue {
  return new Parser(text, true).parseDocument() as RawValue;
}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const code = c.charCodeAt(0);
  if (code < 0x20) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly raw: boolean,
  ) {}

  parseDocument(): unknown {
    this.skipSpace();
    const value = this.parseValue();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('after top-level value');
    return value;
  }

  private fail(context: string): never {
    if (this.pos >= this.text.length) throw new JsonSyntaxError('unexpected end of JSON input');
    throw new JsonSyntaxError(`invalid character ${quoteChar(this.text[this.pos] as string)} ${context}`);
  }

  private skipSpace(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private parseValue(): unknown {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    if (c === 0x22) return this.parseString();
    if (c === 0x7b) return this.parseObject();
    if (c === 0x5b) return this.parseArray();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (t.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (t.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (t.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    return this.fail('looking for beginning of value');
  }

  private parseObject(): unknown {
    this.pos++; // {
    const rawObj = this.raw ? new RawObject() : undefined;
    const obj: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return rawObj ?? obj;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('looking for beginning of object key string');
      const key = this.parseString();
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('after object key');
      this.pos++;
      this.skipSpace();
      const value = this.parseValue();
      if (rawObj) {
        rawObj.keys.push(key);
        rawObj.values.push(value as RawValue);
      } else if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else obj[key] = value;
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipSpace();
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return rawObj ?? obj;
      }
      this.fail('after object key:value pair');
    }
  }

  private parseArray(): unknown[] {
    this.pos++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue());
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipSpace();
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return out;
      }
      this.fail('after array element');
    }
  }

  private parseString(): string {
    const t = this.text;
    const start = this.pos; // at the opening quote
    let p = start + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        p += 2;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = p;
        this.fail('in string literal');
      }
      p++;
    }
    this.pos = p + 1;
    if (!escaped) return t.slice(start + 1, p);
    try {
      return JSON.parse(t.slice(start, p + 1)) as string;
    } catch {
      this.pos = start;
      throw new JsonSyntaxError(`invalid character in string escape code`);
    }
  }

  private parseNumber(): unknown {
    const t = this.text;
    const start = this.pos;
    let p = start;
    let integer = true;
    if (t.charCodeAt(p) === 0x2d) p++;
    const digitsStart = p;
    const first = t.charCodeAt(p);
    if (first === 0x30) p++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(t.charCodeAt(p))) p++;
    else {
      this.pos = p;
      this.fail('in numeric literal');
    }
    if (t.charCodeAt(p) === 0x2e) {
      integer = false;
      p++;
      if (!isDigit(t.charCodeAt(p))) {
        this.pos = p;
        this.fail('after decimal point in numeric literal');
      }
      while (isDigit(t.charCodeAt(p))) p++;
    }
    const e = t.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      p++;
      const s = t.charCodeAt(p);
      if (s === 0x2b || s === 0x2d) p++;
      if (!isDigit(t.charCodeAt(p))) {
        this.pos = p;
        this.fail('in exponent of numeric literal');
      }
      while (isDigit(t.charCodeAt(p))) p++;
    }
    this.pos = p;
    const literal = t.slice(start, p);
    if (this.raw) return new RawNumber(literal);
    if (integer && p - digitsStart > 15) {
      const n = Number(literal);
      if (!Number.isSafeInteger(n)) return BigInt(literal);
      return n;
    }
    return Number(literal);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
