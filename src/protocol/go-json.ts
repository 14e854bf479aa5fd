/**
 * JSON text the way Go's encoding/json writes it (protocol §1.1): HTML-significant characters and
 * the JS line separators escaped, a trailing newline (json.Encoder), and bigint values (int64 ids)
 * written as their exact digits.
 *
 * Object keys keep insertion order, which matches Go struct field order; a caller encoding a Go
 * *map* must sort its keys itself (Go sorts map keys).
 */

// A marker that cannot come out of JSON.stringify for a real string: it contains a raw NUL, which
// stringify always escapes, so after stringify the only raw-looking marker is the escaped one we
// search for below, prefixed by a sentinel that ordinary data practically never holds.
const BIGINT_MARK = '\u0000fleetsim-bigint:';
const BIGINT_MARK_RE = /"\\u0000fleetsim-bigint:(-?\d+)"/g;
const HTML_RE = /[<>&\u2028\u2029]/g;
const HTML_TEST = /[<>&\u2028\u2029]/;
const HTML_ESC: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

let sawBigint = false;
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    sawBigint = true;
    return BIGINT_MARK + value.toString();
  }
  return value;
}

/** Escapes `<`, `>`, `&`, U+2028 and U+2029 in JSON text (Go's HTMLEscape). */
export function goHtmlEscape(json: string): string {
  return HTML_TEST.test(json) ? json.replace(HTML_RE, (c) => HTML_ESC[c] ?? c) : json;
}

/** JSON.stringify with bigint support and Go HTML escaping, without a trailing newline (json.Marshal). */
export function marshalGoJson(value: unknown): string {
  sawBigint = false;
  let text = JSON.stringify(value, replacer) ?? 'null';
  if (sawBigint) text = text.replace(BIGINT_MARK_RE, '$1');
  return goHtmlEscape(text);
}

/** Go json.Encoder output: marshalGoJson plus a trailing "\n". `undefined` encodes as `null`. */
export function encodeGoJson(value: unknown): string {
  return marshalGoJson(value) + '\n';
}

/**
 * Go's strconv.Quote for ASCII-ish text, used to build Go-style error messages
 * (`"a\"b"`, control bytes as `\x01`, `\n`, `\t`).
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c === 0xfffd) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** Go float64 JSON formatting (encoding/json floatEncoder): like JS, but keeps `-0`. */
export function goFloat(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return String(value);
}
