/**
 * Reads the block-style YAML subset GitHub workflows are written in (mappings, `- ` sequences,
 * plain or quoted scalars, `|` block scalars, comments) into plain values, so tests can check a
 * workflow's structure without a YAML dependency. Flow collections (`[main]`) stay strings.
 * Anything outside the subset (tabs, a line indented where no block is open, a key-less line
 * in a mapping) throws: a workflow the tests cannot read is a failure, never a pass.
 */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  /** 1-based, for error messages. */
  number: number;
}

const indentOf = (raw: string): number => raw.length - raw.trimStart().length;

/** `text` without a trailing ` # comment` outside quotes. */
function withoutComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i).trimEnd();
  }
  return text;
}

function scalar(text: string): string {
  const t = text.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

export function parseYamlOutline(source: string): YamlValue {
  if (source.includes('\t')) throw new Error('tabs are not allowed in YAML indentation');
  const raw = source.split('\n');
  let i = 0;

  /** The next meaningful line (not blank, not a whole-line comment), or undefined at the end. */
  const peek = (): Line | undefined => {
    while (i < raw.length && (raw[i]!.trim() === '' || raw[i]!.trim().startsWith('#'))) i += 1;
    if (i >= raw.length) return undefined;
    return { indent: indentOf(raw[i]!), text: withoutComment(raw[i]!.trim()), number: i + 1 };
  };

  /** Lines of a `|` / `>` block scalar deeper than `parentIndent`. */
  const blockScalar = (parentIndent: number): string => {
    const lines: string[] = [];
    let blockIndent: number | undefined;
    while (i < raw.length && (raw[i]!.trim() === '' || indentOf(raw[i]!) > parentIndent)) {
      const line = raw[i]!;
      if (line.trim() !== '') blockIndent ??= indentOf(line);
      lines.push(line.trim() === '' ? '' : line.slice(blockIndent));
      i += 1;
    }
    return `${lines.join('\n').trimEnd()}\n`;
  };

  /** A mapping value after `key:` (inline scalar, block scalar or a nested block). */
  const valueAfter = (rest: string, indent: number): YamlValue => {
    if (rest === '|' || rest === '>' || rest === '|-' || rest === '>-') return blockScalar(indent);
    if (rest !== '') return scalar(rest);
    const next = peek();
    if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) return '';
    return block(next.indent);
  };

  /** A mapping or sequence whose lines start at `indent`; `first` replaces the current line's text. */
  const block = (indent: number, first?: string): YamlValue => {
    let line = peek();
    if (!line) return '';
    const text = first ?? line.text;
    if (text.startsWith('- ') || text === '-') {
      const items: YamlValue[] = [];
      let current: string | undefined = text;
      while (line && line.indent === indent && (current ?? line.text).startsWith('-')) {
        const content = (current ?? line.text).replace(/^-\s*/, '');
        current = undefined;
        if (content === '') {
          i += 1;
          items.push(block(peek()?.indent ?? indent + 2));
        } else if (/^[\w.-]+:(\s|$)/.test(content)) items.push(block(indent + 2, content));
        else {
          items.push(scalar(content));
          i += 1;
        }
        line = peek();
      }
      return items;
    }
    const map: { [key: string]: YamlValue } = {};
    let current: string | undefined = text;
    while (line && (line.indent === indent || current !== undefined)) {
      const entry = current ?? line.text;
      current = undefined;
      const m = /^([\w.-]+|"[^"]*"|'[^']*'):(?:\s+(.*))?$/.exec(entry);
      if (!m) throw new Error(`line ${line.number}: expected "key: value", got ${JSON.stringify(entry)}`);
      i += 1;
      map[scalar(m[1]!)] = valueAfter((m[2] ?? '').trim(), indent);
      line = peek();
      if (line && line.indent > indent) throw new Error(`line ${line.number}: unexpected indentation`);
    }
    return map;
  };

  const root = block(peek()?.indent ?? 0);
  const rest = peek();
  if (rest) throw new Error(`line ${rest.number}: unexpected indentation`);
  return root;
}
