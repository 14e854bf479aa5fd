/**
 * A small, strict parser of the Prometheus text exposition format (version 0.0.4), enough to
 * check what `/metrics` serves: HELP/TYPE lines, samples with escaped label values, histogram
 * families. It throws on anything malformed, so a test that parses a scrape validates it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const key = text.slice(i, eq);
    if (!LABEL.test(key)) throw new Error(`bad label name "${key}" in: ${line}`);
    if (key in labels) throw new Error(`duplicate label "${key}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const ch = text[j];
      if (ch === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
        j += 2;
        continue;
      }
      if (ch === '\n') throw new Error(`raw newline in label value: ${line}`);
      value += ch;
      j++;
    }
    labels[key] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected "," in labels: ${line}`);
  }
  return labels;
}

/** The family a sample line belongs to (histogram suffixes folded into their family). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = families.get(name.slice(0, -suffix.length));
      if (base && (base.type === 'histogram' || base.type === 'summary')) return base;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      const family = families.get(name!) ?? { name: name!, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`bad type in: ${line}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples: ${line}`);
        family.type = rest!;
      } else family.help = rest!;
      families.set(name!, family);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const family = familyOf(name!, families);
    if (!family) throw new Error(`sample without TYPE/HELP: ${line}`);
    family.samples.push({ name: name!, labels: parseLabels(labelText ?? '', line), value: parseValue(valueText!, line) });
  }
  return families;
}

/** The value of the one sample with this name whose labels include `labels`, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families);
  const found = family?.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (!found || found.length === 0) return undefined;
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

/**
 * Checks every histogram family: per label set, buckets in ascending `le` are non-decreasing,
 * the last is `+Inf`, and it equals `_count`. Returns the number of label sets checked.
 */
export function checkHistograms(families: Map<string, Family>): number {
  let checked = 0;
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue;
    const groups = new Map<string, { buckets: { le: number; value: number }[]; count?: number; sum?: number }>();
    for (const s of family.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      const group = groups.get(key) ?? { buckets: [] };
      groups.set(key, group);
      if (s.name === `${family.name}_bucket`) {
        if (le === undefined) throw new Error(`${family.name}_bucket without le`);
        group.buckets.push({ le: parseValue(le, le), value: s.value });
      } else if (s.name === `${family.name}_count`) group.count = s.value;
      else if (s.name === `${family.name}_sum`) group.sum = s.value;
      else throw new Error(`unexpected sample ${s.name} in histogram ${family.name}`);
    }
    for (const [key, group] of groups) {
      const sorted = [...group.buckets].sort((a, b) => a.le - b.le);
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]!.value < sorted[i - 1]!.value) throw new Error(`${family.name}${key}: bucket le=${sorted[i]!.le} below le=${sorted[i - 1]!.le}`);
      }
      const inf = sorted[sorted.length - 1];
      if (!inf || inf.le !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}${key}: no +Inf bucket`);
      if (group.count !== inf.value) throw new Error(`${family.name}${key}: _count ${group.count} != +Inf bucket ${inf.value}`);
      if (group.sum === undefined || group.sum < 0) throw new Error(`${family.name}${key}: missing or negative _sum`);
      checked++;
    }
  }
  return checked;
}
