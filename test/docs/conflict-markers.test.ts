import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * No merge leftovers: a file that still holds git's conflict markers compiles more often than one
 * would think (in Markdown, JSON strings, comments), so the suite looks for them in every tracked
 * text file of the scanned folders.
 *
 * A marker is a line that starts with exactly seven `<` or `>` followed by a space or the line's
 * end, or seven `|` (diff3 style). A line of exactly seven `=` is flagged only in a file that also
 * has such a line: Markdown uses runs of `=` for setext headings and table rules.
 *
 * The markers are built with `repeat` here, so this file passes its own scan.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['README.md', 'src', 'test', 'bench', 'scenarios', 'docs', 'deploy'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'reports', 'dist']);
/** Larger files are data, not prose. */
const MAX_BYTES = 2 * 1024 * 1024;

const OURS = '<'.repeat(7);
const BASE = '|'.repeat(7);
const SPLIT = '='.repeat(7);
const THEIRS = '>'.repeat(7);

/** A line that can only come from an unresolved merge. */
function isSideMarker(line: string): boolean {
  for (const marker of [OURS, BASE, THEIRS]) {
    if (line.startsWith(marker) && (line.length === marker.length || line[marker.length] === ' ')) return true;
  }
  return false;
}

/**
 * The 1-based line numbers of conflict markers in `text`: every side marker, and every line of
 * exactly seven `=` when the text has at least one side marker.
 */
function conflictMarkerLines(text: string): number[] {
  const lines = text.split(/\r?\n/);
  const sides: number[] = [];
  const splits: number[] = [];
  lines.forEach((line, i) => {
    if (isSideMarker(line)) sides.push(i + 1);
    else if (line === SPLIT) splits.push(i + 1);
  });
  if (sides.length === 0) return [];
  return [...sides, ...splits].sort((a, b) => a - b);
}

/** Tracked files under the scanned paths (git), or every file there when git has no index here. */
function trackedFiles(): string[] {
  const present = SCANNED.filter((entry) => existsSync(join(ROOT, entry)));
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--', ...present], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = out.split('\0').filter((path) => path !== '');
    if (files.length > 0) return files;
  } catch {
    // not a git checkout (an unpacked tarball, a container copy): scan the tree instead
  }
  const files: string[] = [];
  const walk = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!SKIP_DIRS.has(name)) walk(join(path, name));
    } else if (stat.isFile()) files.push(relative(ROOT, path).split('\\').join('/'));
  };
  for (const entry of present) walk(join(ROOT, entry));
  return files;
}

/** Every marker in the scanned text files as `path:line`. */
function markersInRepository(): { scanned: string[]; found: string[] } {
  const scanned: string[] = [];
  const found: string[] = [];
  for (const path of trackedFiles()) {
    const full = join(ROOT, path);
    // A file deleted in the worktree but still in the index is not there to read.
    if (!existsSync(full) || statSync(full).size > MAX_BYTES) continue;
    const bytes = readFileSync(full);
    if (bytes.includes(0)) continue; // binary
    scanned.push(path);
    for (const line of conflictMarkerLines(bytes.toString('utf8'))) found.push(`${path}:${line}`);
  }
  return { scanned, found };
}

describe('conflict markers', () => {
  it('finds each kind of marker of a planted conflict, with its line number', () => {
    const planted = ['const a = 1;', `${OURS} HEAD`, 'const b = 2;', SPLIT, 'const b = 3;', `${THEIRS} feature`, ''].join('\n');
    expect(conflictMarkerLines(planted)).toEqual([2, 4, 6]);
    const diff3 = [`${OURS} ours`, 'x', `${BASE} base`, 'y', SPLIT, 'z', `${THEIRS} theirs`].join('\r\n');
    expect(conflictMarkerLines(diff3)).toEqual([1, 3, 5, 7]);
    // A half-resolved file (one side marker left) is still caught, and so is a bare marker.
    expect(conflictMarkerLines(`text\n${THEIRS}\n`)).toEqual([2]);
  });

  it('leaves Markdown rules and look-alikes alone', () => {
    const markdown = ['Title', SPLIT, '', 'Other', '='.repeat(8), '| a | b |', '|---|---|', `  ${OURS} indented`, `${OURS}< eight`].join('\n');
    expect(conflictMarkerLines(markdown)).toEqual([]);
    // Seven `=` alone is only a marker beside a side marker.
    expect(conflictMarkerLines(`a\n${SPLIT}\nb\n`)).toEqual([]);
    expect(conflictMarkerLines(`a\n${SPLIT}\n${THEIRS} x\n`)).toEqual([2, 3]);
  });

  it('no tracked text file in README.md, src, test, bench, scenarios, docs or deploy holds one', () => {
    const { scanned, found } = markersInRepository();
    // The scan really covered the tree (a broken file list would pass vacuously).
    expect(scanned).toContain('README.md');
    expect(scanned).toContain('src/core/clock.ts');
    expect(scanned).toContain('test/docs/conflict-markers.test.ts');
    expect(scanned.length).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });
});
