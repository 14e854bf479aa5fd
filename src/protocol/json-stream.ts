/**
 * Streaming JSON splitter for the coordinate sockets (protocol §7.1): the receiver joins every
 * binary message into one byte stream and runs Go's json.Decoder over it, so a value may be split
 * across messages and several values may share one. `push()` scans each byte once with a state
 * machine modelled on Go's encoding/json scanner (same syntax rules and error texts) and returns
 * the text of every top-level value completed by the chunk.
 */

/** A syntax error or an over-long value; `message` reads like Go's json.SyntaxError. */
export class JsonStreamError extends Error {
  override readonly name = 'JsonStreamError';
}

// Scanner states.
const S_TOP = 0; // between top-level values
const S_VALUE = 1; // a value must start (after ':' or ',' in an array)
const S_VALUE_OR_EMPTY = 2; // after '['
const S_KEY_OR_EMPTY = 3; // after '{'
const S_KEY = 4; // after ',' in an object
const S_END_VALUE = 5; // after a value inside a container
const S_STR = 6;
const S_STR_ESC = 7;
const S_STR_U = 8; // 8..11: the four hex digits of \uXXXX
const S_NEG = 12;
const S_ZERO = 13;
const S_INT = 14;
const S_DOT = 15;
const S_DOT_DIGITS = 16;
const S_EXP = 17;
const S_EXP_SIGN = 18;
const S_EXP_DIGITS = 19;
const S_LITERAL = 20;

// Container kinds on the parse stack.
const P_OBJECT_KEY = 0;
const P_OBJECT_VALUE = 1;
const P_ARRAY = 2;

const MAX_DEPTH = 10000; // Go's maxNestingDepth

const DEFAULT_MAX_BUFFERED = 1 << 20;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Go's quoteChar: how a byte is shown in a syntax error. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\' };
  const name = named[c];
  if (name) return `'${name}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80 && c < 0xa0) return `'\\u00${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

const LITERALS = ['true', 'false', 'null'];

export class JsonStreamDecoder {
  private readonly maxBuffered: number;
  private state = S_TOP;
  private readonly stack: Uint8Array = new Uint8Array(64);
  private stackBig: number[] | undefined; // overflow beyond 64 levels (rare)
  private depth = 0;
  private literal = '';
  private literalIndex = 0;
  /** Copies of earlier chunks' tails that belong to the value in progress. */
  private partials: Buffer[] = [];
  private partialBytes = 0;
  private failure: JsonStreamError | undefined;

  constructor(opts: { maxBufferedBytes?: number } = {}) {
    this.maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  }

  /** True when a value has started but not finished. */
  get pending(): boolean {
    return this.state !== S_TOP || this.partialBytes > 0;
  }

  /** Feeds one chunk; returns the text of each top-level value it completes, in order. */
  push(chunk: Uint8Array): string[] {
    if (this.failure) throw this.failure;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: string[] = [];
    // Start of the value in progress within `buf` (0 when it began in an earlier chunk).
    let start = 0;
    const n = buf.length;
    let i = 0;
    try {
      while (i < n) {
        const c = buf[i] as number;
        switch (this.state) {
          case S_TOP:
            if (isSpace(c)) {
              i++;
              continue;
            }
            start = i;
            this.beginValue(c, 'looking for beginning of value');
            i++;
            break;
          case S_VALUE:
            if (!isSpace(c)) this.beginValue(c, 'looking for beginning of value');
            i++;
            break;
          case S_VALUE_OR_EMPTY:
            if (isSpace(c)) {
              i++;
              continue;
            }
            if (c === 0x5d) {
              i++;
              if (this.closeContainer()) out.push(this.take(buf, start, i));
              break;
            }
            this.beginValue(c, 'looking for beginning of value');
            i++;
            break;
          case S_KEY_OR_EMPTY:
            if (isSpace(c)) {
              i++;
              continue;
            }
            if (c === 0x7d) {
              i++;
              if (this.closeContainer()) out.push(this.take(buf, start, i));
              break;
            }
            if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
            this.state = S_STR;
            i++;
            break;
          case S_KEY:
            if (isSpace(c)) {
              i++;
              continue;
            }
            if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
            this.state = S_STR;
            i++;
            break;
          case S_END_VALUE: {
            if (isSpace(c)) {
              i++;
              continue;
            }
            const top = this.top();
            if (top === P_OBJECT_KEY) {
              if (c !== 0x3a) this.fail(c, 'after object key');
              this.setTop(P_OBJECT_VALUE);
              this.state = S_VALUE;
            } else if (top === P_OBJECT_VALUE) {
              if (c === 0x2c) {
                this.setTop(P_OBJECT_KEY);
                this.state = S_KEY;
              } else if (c === 0x7d) {
                i++;
                if (this.closeContainer()) out.push(this.take(buf, start, i));
                break;
              } else this.fail(c, 'after object key:value pair');
            } else {
              if (c === 0x2c) this.state = S_VALUE;
              else if (c === 0x5d) {
                i++;
                if (this.closeContainer()) out.push(this.take(buf, start, i));
                break;
              } else this.fail(c, 'after array element');
            }
            i++;
            break;
          }
          case S_STR: {
            // Tight inner loop: skip ordinary string bytes.
            let j = i;
            let d = c;
            while (d !== 0x22 && d !== 0x5c && d >= 0x20) {
              j++;
              if (j >= n) break;
              d = buf[j] as number;
            }
            i = j;
            if (j >= n) break;
            if (d === 0x22) {
              i++;
              if (this.endValue()) out.push(this.take(buf, start, i));
            } else if (d === 0x5c) {
              this.state = S_STR_ESC;
              i++;
            } else this.fail(d, 'in string literal');
            break;
          }
          case S_STR_ESC:
            if (c === 0x75) this.state = S_STR_U;
            else if (c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74 || c === 0x5c || c === 0x2f || c === 0x22) this.state = S_STR;
            else this.fail(c, 'in string escape code');
            i++;
            break;
          case S_STR_U:
          case S_STR_U + 1:
          case S_STR_U + 2:
          case S_STR_U + 3:
            if (!isHex(c)) this.fail(c, 'in \\u hexadecimal character escape');
            this.state = this.state === S_STR_U + 3 ? S_STR : this.state + 1;
            i++;
            break;
          case S_NEG:
            if (c === 0x30) this.state = S_ZERO;
            else if (c >= 0x31 && c <= 0x39) this.state = S_INT;
            else this.fail(c, 'in numeric literal');
            i++;
            break;
          case S_ZERO:
          case S_INT:
          case S_DOT_DIGITS:
          case S_EXP_DIGITS:
            if (c >= 0x30 && c <= 0x39 && this.state !== S_ZERO) {
              i++;
              break;
            }
            if (c === 0x2e && this.state !== S_DOT_DIGITS && this.state !== S_EXP_DIGITS) {
              this.state = S_DOT;
              i++;
              break;
            }
            if ((c === 0x65 || c === 0x45) && this.state !== S_EXP_DIGITS) {
              this.state = S_EXP;
              i++;
              break;
            }
            // The number ended just before this byte; reprocess the byte.
            if (this.endValue()) out.push(this.take(buf, start, i));
            break;
          case S_DOT:
            if (c >= 0x30 && c <= 0x39) this.state = S_DOT_DIGITS;
            else this.fail(c, 'after decimal point in numeric literal');
            i++;
            break;
          case S_EXP:
            if (c === 0x2b || c === 0x2d) this.state = S_EXP_SIGN;
            else if (c >= 0x30 && c <= 0x39) this.state = S_EXP_DIGITS;
            else this.fail(c, 'in exponent of numeric literal');
            i++;
            break;
          case S_EXP_SIGN:
            if (c >= 0x30 && c <= 0x39) this.state = S_EXP_DIGITS;
            else this.fail(c, 'in exponent of numeric literal');
            i++;
            break;
          case S_LITERAL: {
            const want = this.literal.charCodeAt(this.literalIndex);
            if (c !== want) this.fail(c, `in literal ${this.literal} (expecting ${goQuoteChar(want)})`);
            i++;
            this.literalIndex++;
            if (this.literalIndex === this.literal.length && this.endValue()) out.push(this.take(buf, start, i));
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof JsonStreamError) this.failure = err;
      throw err;
    }
    if (this.state !== S_TOP) {
      // A value is still open: keep a copy of its bytes from this chunk.
      const tail = Buffer.from(buf.subarray(start));
      this.partials.push(tail);
      this.partialBytes += tail.length;
      if (this.partialBytes > this.maxBuffered) {
        this.failure = new JsonStreamError(`json: value exceeds ${this.maxBuffered} bytes`);
        throw this.failure;
      }
    }
    return out;
  }

  /** Starts a value at byte c (not whitespace). */
  private beginValue(c: number, context: string): void {
    switch (c) {
      case 0x7b:
        this.push1(P_OBJECT_KEY);
        this.state = S_KEY_OR_EMPTY;
        return;
      case 0x5b:
        this.push1(P_ARRAY);
        this.state = S_VALUE_OR_EMPTY;
        return;
      case 0x22:
        this.state = S_STR;
        return;
      case 0x2d:
        this.state = S_NEG;
        return;
      case 0x30:
        this.state = S_ZERO;
        return;
      case 0x74:
      case 0x66:
      case 0x6e:
        this.literal = LITERALS[c === 0x74 ? 0 : c === 0x66 ? 1 : 2] as string;
        this.literalIndex = 1;
        this.state = S_LITERAL;
        return;
      default:
        if (c >= 0x31 && c <= 0x39) {
          this.state = S_INT;
          return;
        }
        this.fail(c, context);
    }
  }

  /** A scalar or container just ended; returns true when it was a top-level value. */
  private endValue(): boolean {
    if (this.depth === 0) {
      this.state = S_TOP;
      return true;
    }
    this.state = S_END_VALUE;
    return false;
  }

  private closeContainer(): boolean {
    this.depth--;
    return this.endValue();
  }

  private push1(kind: number): void {
    if (this.depth >= MAX_DEPTH) throw new JsonStreamError('exceeded max depth');
    if (this.depth < 64) this.stack[this.depth] = kind;
    else (this.stackBig ??= [])[this.depth - 64] = kind;
    this.depth++;
  }

  private top(): number {
    const d = this.depth - 1;
    return d < 64 ? (this.stack[d] as number) : ((this.stackBig as number[])[d - 64] as number);
  }

  private setTop(kind: number): void {
    const d = this.depth - 1;
    if (d < 64) this.stack[d] = kind;
    else (this.stackBig as number[])[d - 64] = kind;
  }

  private fail(c: number, context: string): never {
    throw new JsonStreamError(`invalid character ${goQuoteChar(c)} ${context}`);
  }

  /** Text of the value that ends at `end` in `buf` and began at `start` (or in earlier chunks). */
  private take(buf: Buffer, start: number, end: number): string {
    if (this.partialBytes === 0) return buf.toString('utf8', start, end);
    this.partials.push(buf.subarray(0, end));
    const joined = Buffer.concat(this.partials);
    this.partials = [];
    this.partialBytes = 0;
    return joined.toString('utf8');
  }
}
