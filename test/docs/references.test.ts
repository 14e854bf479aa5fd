import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository must stand alone: nothing in it may point at files outside the checkout or at
 * issue numbers only the authors can see, and every protocol section the code cites must exist
 * as a heading of the document it names: docs/protocol.md (v1) or docs/protocol-v2.md. Files of
 * the v2 code (a `v2/` folder or a `v2-` file) must name the document at every citation, since a
 * bare section number there is easily read as the wrong one. Plain fs reads, no shell; the whole
 * tree is a few hundred small files.
 *
 * This file names the forbidden patterns only in pieces (and the section sign as an escape), so
 * it passes its own scan.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['README.md', 'src', 'test', 'bench', 'scenarios', 'docs'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'reports']);
/** Larger files are data, not prose; none exists today. */
const MAX_BYTES = 2 * 1024 * 1024;
const SECTION = '\u00a7';

interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

function walk(path: string, out: SourceFile[]): void {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const name of readdirSync(path).sort()) if (!SKIP_DIRS.has(name)) walk(join(path, name), out);
    return;
  }
  if (!stat.isFile() || stat.size > MAX_BYTES) return;
  out.push({ path: relative(ROOT, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
}

function repoFiles(): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of SCANNED) {
    const path = join(ROOT, entry);
    if (existsSync(path)) walk(path, out);
  }
  return out;
}

/** What may not appear anywhere in the repository, and why. */
const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: new RegExp(['\\.\\.', 'shared'].join('/')), why: 'a path into the authors\u2019 workspace' },
  { pattern: new RegExp(['', 'wo' + 'rk', ''].join('/')), why: 'an absolute path on the authors\u2019 machine' },
  // `/home/coder` is the simulated workspace user's home (fixtures, PTY), not a local path.
  { pattern: new RegExp(['', 'ho' + 'me', '(?!coder\\b)'].join('/')), why: 'an absolute path on a local machine' },
  { pattern: new RegExp('machine' + '-facts'), why: 'a notes file outside the repo: cite docs/benchmarks.md' },
  { pattern: new RegExp('\\bis' + 'sue #?\\d+\\b', 'i'), why: 'a private issue number: say what is meant' },
];

/** Every forbidden match as `path:line: text (why)`. */
function forbiddenReferences(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = file.text.split('\n');
    lines.forEach((line, i) => {
      for (const { pattern, why } of FORBIDDEN) {
        const m = pattern.exec(line);
        if (m) found.push(`${file.path}:${i + 1}: "${m[0]}" is ${why}`);
      }
    });
  }
  return found;
}

interface Citation {
  path: string;
  line: number;
  section: string;
  /** `v1` = docs/protocol.md; `v2` = docs/protocol-v2.md; `external` = another document (an RFC). */
  target: 'v1' | 'v2' | 'external';
  /** False for a bare `§N` (or chain) that names no document and is taken as docs/protocol.md. */
  named: boolean;
}

const CITATION = new RegExp(`${SECTION}(\\d+(?:\\.\\d+)*)`, 'g');
/** A preceding citation in the same chain: `X §5.2–`, `§2.5, `, `§5.10/`, `§9.2.3 and `. */
const CHAIN_TAIL = new RegExp(`${SECTION}\\d+(?:\\.\\d+)*\\s*(?:[,/\u2013-]|and|or)?\\s*$`);
const RFC_TAIL = /\bRFC\s*\d+\s*$/i;
const V2_TAIL = /(?:protocol-v2(?:\.md)?|\bv2)[`'")\]]*\s*$/i;
const V1_TAIL = /\bprotocol(?:\.md)?[`'")\]]*\s*$/i;

/**
 * Every section citation in the text. The document is named by what precedes the citation (or
 * the first citation of its chain): `RFC 6455 §5.2` is external, `protocol-v2 §3` / `v2 §3` is
 * v2, anything else (`protocol §5.2`, a bare `§5.2`) is docs/protocol.md.
 */
function citations(file: SourceFile): Citation[] {
  const out: Citation[] = [];
  file.text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(CITATION)) {
      let before = line.slice(0, m.index);
      for (let previous = ''; previous !== before; ) {
        previous = before;
        before = before.replace(CHAIN_TAIL, '');
      }
      const target = RFC_TAIL.test(before) ? 'external' : V2_TAIL.test(before) ? 'v2' : 'v1';
      const named = target !== 'v1' || V1_TAIL.test(before);
      out.push({ path: file.path, line: i + 1, section: m[1] as string, target, named });
    }
  });
  return out;
}

/** Section numbers of a Markdown document's numbered headings (`## 5. Title`, `### 5.2 Title`). */
function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) numbers.add(m[1] as string);
  return numbers;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (m[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    slugs.add(slug);
  }
  return slugs;
}

/** Files of the v2 code: a `v2/` folder (generated code aside) or a `v2-…` file name. */
function isV2Code(path: string): boolean {
  return /(?:^|\/)v2(?:\/|-)/.test(path) && !path.includes('/gen/');
}

/** `path:line: §N` for every citation whose section is not among `headings`. */
function missingSections(cited: readonly Citation[], headings: Set<string>): string[] {
  return cited.filter((c) => !headings.has(c.section)).map((c) => `${c.path}:${c.line}: ${SECTION}${c.section}`);
}

const files = repoFiles();
const protocolPath = join(ROOT, 'docs/protocol.md');
const protocolV2Path = join(ROOT, 'docs/protocol-v2.md');
/** Where citations are checked: code, tests, benchmarks, scenarios and the README. */
const citing = files.filter((f) => /^(src|test|bench|scenarios)\//.test(f.path) || f.path === 'README.md');

describe('the repository stands alone', () => {
  it('scans the tree it is meant to scan', () => {
    const paths = new Set(files.map((f) => f.path));
    expect(paths.has('README.md')).toBe(true);
    expect(paths.has('docs/protocol.md')).toBe(true);
    expect(paths.has('test/docs/references.test.ts')).toBe(true);
    expect(files.some((f) => f.path.startsWith('src/'))).toBe(true);
  });

  it('names no path outside the repository, no notes file and no issue number', () => {
    expect(forbiddenReferences(files)).toEqual([]);
  });

  it('every protocol section cited in the code, tests and README is a heading of docs/protocol.md', () => {
    const headings = headingNumbers(readFileSync(protocolPath, 'utf8'));
    const cited = citing.flatMap(citations).filter((c) => c.target === 'v1');
    expect(cited.length).toBeGreaterThan(50);
    expect(missingSections(cited, headings)).toEqual([]);
  });

  it('every protocol-v2 section cited in the code, tests and README is a heading of docs/protocol-v2.md', () => {
    const headings = headingNumbers(readFileSync(protocolV2Path, 'utf8'));
    const cited = citing.flatMap(citations).filter((c) => c.target === 'v2');
    expect(cited.length).toBeGreaterThan(50);
    expect(missingSections(cited, headings)).toEqual([]);
  });

  it('the v2 code names the document at every section it cites', () => {
    const v2Files = citing.filter((f) => isV2Code(f.path));
    expect(v2Files.some((f) => f.path.startsWith('src/protocol/v2/'))).toBe(true);
    const bare = v2Files
      .flatMap(citations)
      .filter((c) => !c.named)
      .map((c) => `${c.path}:${c.line}: ${SECTION}${c.section} (write protocol-v2 ${SECTION}N or protocol ${SECTION}N)`);
    expect(bare).toEqual([]);
  });

  it('every docs/*.md#anchor link names a heading of that document', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const m of file.text.matchAll(/docs\/([\w.-]+\.md)#([\w-]+)/g)) {
        const [, doc = '', anchor = ''] = m;
        const path = join(ROOT, 'docs', doc);
        if (!existsSync(path)) {
          broken.push(`${file.path}: docs/${doc} does not exist`);
          continue;
        }
        if (!headingSlugs(readFileSync(path, 'utf8')).has(anchor)) broken.push(`${file.path}: docs/${doc}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every in-page #anchor link of a Markdown file names one of its own headings', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => f.path.endsWith('.md'))) {
      const slugs = headingSlugs(file.text);
      for (const m of file.text.matchAll(/\]\(#([\w-]+)\)/g)) {
        if (!slugs.has(m[1] as string)) broken.push(`${file.path}: #${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const file = (text: string): SourceFile => ({ path: 'x.ts', text });

  it('flags each forbidden pattern and allows the fixture home directory', () => {
    const bad = [
      `see ${['..', 'shared', 'spec'].join('/')}`,
      `at ${['', 'wo' + 'rk', 'notes'].join('/')}`,
      `in ${['', 'ho' + 'me', 'someone'].join('/')}`,
      `per ${'machine' + '-facts'}.md`,
      `(${'Is' + 'sue'} 4)`,
      `${'is' + 'sue'} #12`,
    ];
    expect(forbiddenReferences(bad.map(file))).toHaveLength(bad.length);
    expect(forbiddenReferences([file(`pwd prints ${['', 'ho' + 'me', 'coder'].join('/')}; issues: 3`)])).toEqual([]);
  });

  it('tells protocol, v2 and RFC citations apart, chains included', () => {
    const text = [
      `protocol ${SECTION}5.2${'\u2013'}${SECTION}5.4, ${SECTION}6`,
      `RFC 6455 ${SECTION}5.2, unmasked`,
      `protocol-v2 ${SECTION}3/${SECTION}4 and v2 ${SECTION}7`,
      `(${SECTION}5.14 step 2 / ${SECTION}5.15 step 2)`,
    ].join('\n');
    const found = citations(file(text)).map((c) => `${c.target}:${c.section}`);
    expect(found).toEqual(['v1:5.2', 'v1:5.4', 'v1:6', 'external:5.2', 'v2:3', 'v2:4', 'v2:7', 'v1:5.14', 'v1:5.15']);
  });

  it('knows which citations name their document', () => {
    const text = [
      `docs/protocol.md ${SECTION}5.2, ${SECTION}5.3`,
      `(docs/protocol-v2.md ${SECTION}1.5-${SECTION}2.3)`,
      `window (${SECTION}1.6)`,
      `RFC 6455 ${SECTION}5.2`,
    ].join('\n');
    const found = citations(file(text)).map((c) => `${c.target}:${c.section}:${c.named ? 'named' : 'bare'}`);
    expect(found).toEqual(['v1:5.2:named', 'v1:5.3:named', 'v2:1.5:named', 'v2:2.3:named', 'v1:1.6:bare', 'external:5.2:named']);
  });

  it('tells v2 code files from the rest', () => {
    expect(isV2Code('src/protocol/v2/yamux-session.ts')).toBe(true);
    expect(isV2Code('test/server/v2/coordinate.test.ts')).toBe(true);
    expect(isV2Code('bench/v2-wire.ts')).toBe(true);
    expect(isV2Code('src/protocol/v2/gen/coder/agent/v2/agent.ts')).toBe(false);
    expect(isV2Code('src/server/routes/router.ts')).toBe(false);
  });

  it('reads numbered headings and GitHub anchors', () => {
    const md = '# Title\n## 5. Endpoints\n### 5.10 GET /me/coordinate\n#### 9.2.3 Lifecycle\n### bench:coordinator\n## 10. Later\n';
    expect([...headingNumbers(md)]).toEqual(['5', '5.10', '9.2.3', '10']);
    expect(headingSlugs(md).has('benchcoordinator')).toBe(true);
    expect(headingSlugs(md).has('510-get-mecoordinate')).toBe(true);
  });
});
