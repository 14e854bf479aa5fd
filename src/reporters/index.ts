import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '../metrics/summary-types.js';
import { renderConsole } from './console.js';
import { HTML_FILE, renderHtml } from './html.js';
import { JSON_FILE, renderJson } from './json.js';
import { JUNIT_FILE, renderJunit } from './junit.js';
import { MARKDOWN_FILE, renderMarkdown } from './markdown.js';

export interface ReportOptions {
  /** Where the console reporter prints; without it the console reporter is skipped. */
  console?: (text: string) => void;
  /**
   * Safety net applied to every rendered report before it is written or printed, e.g. the run
   * logger's `redact` (replaces registered tokens/keys). Summaries are built from metric names
   * and tags only, so this should never find anything; it guards against a workload that put a
   * secret into a tag by mistake.
   */
  redact?: (text: string) => string;
}

/**
 * A reporter renders a RunSummary. It returns the path it wrote, or undefined when it wrote no
 * file (the console). It may throw: `writeReports` isolates it from the others.
 */
export interface Reporter {
  readonly name: string;
  write(summary: RunSummary, dir: string, opts: ReportOptions): Promise<string | undefined>;
}

/** A reporter that writes one rendered file into the report directory. */
export function fileReporter(name: string, file: string, render: (summary: RunSummary) => string): Reporter {
  return {
    name,
    async write(summary, dir, opts) {
      const path = join(dir, file);
      const text = render(summary);
      await writeFile(path, opts.redact ? opts.redact(text) : text);
      return path;
    },
  };
}

export const consoleReporter: Reporter = {
  name: 'console',
  async write(summary, _dir, opts) {
    if (!opts.console) return undefined;
    const text = renderConsole(summary);
    opts.console(opts.redact ? opts.redact(text) : text);
    return undefined;
  },
};

/** Every built-in reporter, in the order they run (summary.json first: it matters most). */
export const REPORTERS: readonly Reporter[] = [
  fileReporter('json', JSON_FILE, renderJson),
  fileReporter('markdown', MARKDOWN_FILE, renderMarkdown),
  fileReporter('junit', JUNIT_FILE, renderJunit),
  fileReporter('html', HTML_FILE, renderHtml),
  consoleReporter,
];

/**
 * Renders `summary` with every reporter into `dir` (created if missing). One failing reporter
 * does not stop the others; failures are returned, never thrown. `reporters` replaces the
 * built-in list (tests, custom tools).
 */
export async function writeReports(
  summary: RunSummary,
  dir: string,
  opts: ReportOptions & { reporters?: readonly Reporter[] } = {},
): Promise<{ written: string[]; failed: { reporter: string; error: string }[] }> {
  const written: string[] = [];
  const failed: { reporter: string; error: string }[] = [];
  let dirError: unknown;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    // File reporters will fail on their own with a precise message; the console still prints.
    dirError = error;
  }
  for (const reporter of opts.reporters ?? REPORTERS) {
    try {
      const path = await reporter.write(summary, dir, opts);
      if (path !== undefined) written.push(path);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failed.push({ reporter: reporter.name, error: dirError && !message.includes(dir) ? `${message} (creating ${dir} failed)` : message });
    }
  }
  return { written, failed };
}
