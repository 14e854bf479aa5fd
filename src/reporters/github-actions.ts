/**
 * GitHub Actions output for `run`, `merge` and `compare`: the Markdown summary appended to the
 * job's step summary, and one `::error` workflow command per reason the step fails, so the
 * verdict shows on the run page and in pull requests without opening the artifact.
 *
 * When it applies (decided from the environment, nothing to configure):
 * - `GITHUB_STEP_SUMMARY` set (non-empty): the Markdown is appended to that file.
 * - `GITHUB_ACTIONS=true` or `GITHUB_STEP_SUMMARY` set: the `::error` lines go to stdout. On an
 *   ordinary terminal neither is set, so nobody sees workflow commands there.
 *
 * Appending never changes the exit code: an unwritable summary file is one warning on stderr.
 * Everything written passes through the run's `redact` (registered tokens and keys), like every
 * other report.
 */
import { appendFile } from 'node:fs/promises';
import type { OutputStream } from '../cli/io.js';
import type { RunSummary } from '../metrics/summary-types.js';
import { type Comparison, fmtDelta, fmtValue } from './compare.js';
import { fmtObserved, saturationNote } from './format.js';
import { renderMarkdown } from './markdown.js';

/** GitHub refuses a step summary over 1 MiB (and shows none of it); we stay under with room. */
export const STEP_SUMMARY_MAX_BYTES = 1_000_000;

/** One workflow-command annotation (`::error title=T::message`). */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
}

/** What the environment asks for; undefined outside GitHub Actions. */
export interface GithubActionsTarget {
  /** The step summary file (`GITHUB_STEP_SUMMARY`), when set. */
  summaryFile?: string;
  /** Print workflow commands (`::error …`) on stdout. */
  annotate: boolean;
}

export function githubActionsTarget(env: Readonly<Record<string, string | undefined>>): GithubActionsTarget | undefined {
  const summaryFile = env.GITHUB_STEP_SUMMARY ? env.GITHUB_STEP_SUMMARY : undefined;
  const annotate = env.GITHUB_ACTIONS === 'true' || summaryFile !== undefined;
  if (!annotate) return undefined;
  return summaryFile === undefined ? { annotate } : { summaryFile, annotate };
}

/** A workflow command's message: `%`, CR and LF escaped as GitHub's runner expects. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value (`title=`): the data escapes plus `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error title=…::message`, escaped; always one line. */
export function workflowCommand(annotation: Annotation): string {
  return `::${annotation.level} title=${escapeProperty(annotation.title)}::${escapeData(annotation.message)}`;
}

/**
 * Why a run or merged run fails its step, one annotation per reason: each failed threshold
 * (outcome `failed`), or the one outcome that made the run unusable (`invalid`, `interrupted`,
 * `errored`). A passed run has none. Thresholds are not listed for an invalid run: its figures
 * describe fleetsim, not the target, so they are not the verdict.
 */
export function runAnnotations(summary: RunSummary): Annotation[] {
  const { scenario, runId } = summary.meta;
  const run = `${scenario} (${runId})`;
  switch (summary.outcome) {
    case 'passed':
      return [];
    case 'failed':
      return summary.thresholds
        .filter((t) => !t.pass)
        .map((t) => ({ level: 'error', title: 'fleetsim: threshold failed', message: `${run}: ${t.expression} (observed ${fmtObserved(t)})` }));
    case 'invalid':
      return [{ level: 'error', title: 'fleetsim: run invalid', message: `${run}: ${saturationNote(summary) ?? 'the harness was saturated'}` }];
    case 'interrupted':
      return [
        {
          level: 'error',
          title: 'fleetsim: run interrupted',
          message: `${run} was stopped by a signal before its end; the report is partial and no threshold was judged`,
        },
      ];
    case 'errored':
      return [{ level: 'error', title: 'fleetsim: run errored', message: `${run}: a workload or the runner failed during the run; see the log` }];
  }
}

/** One annotation per regressed row of a comparison. */
export function compareAnnotations(comparison: Comparison): Annotation[] {
  return comparison.rows
    .filter((r) => r.regression)
    .map((r) => ({
      level: 'error',
      title: 'fleetsim: regression',
      message:
        `${comparison.current.scenario}: ${r.metric} ${fmtValue(r.unit, r.baseline)} → ${fmtValue(r.unit, r.current)}, ${fmtDelta(r)} ` +
        `(baseline ${comparison.baseline.runId}, current ${comparison.current.runId}, tolerance ${comparison.tolerancePct}%)`,
    }));
}

/**
 * `markdown` cut to `maxBytes` (UTF-8) at a line boundary, with a note pointing at the full
 * report, so an oversized summary still shows its head instead of nothing.
 */
export function fitStepSummary(markdown: string, maxBytes = STEP_SUMMARY_MAX_BYTES): string {
  if (Buffer.byteLength(markdown) <= maxBytes) return markdown;
  const note = '\n\n_Cut to fit the step summary limit: the full summary.md is in the report folder._\n';
  const budget = maxBytes - Buffer.byteLength(note);
  let kept = '';
  let size = 0;
  for (const line of markdown.split('\n')) {
    const bytes = Buffer.byteLength(line) + 1;
    if (size + bytes > budget) break;
    kept += `${line}\n`;
    size += bytes;
  }
  return kept.trimEnd() + note;
}

export interface PublishOptions {
  /** The Markdown appended to the step summary. */
  markdown: string;
  annotations: readonly Annotation[];
  /** The run logger's redact (registered secrets); applied to everything written. */
  redact?: (text: string) => string;
}

/**
 * Appends `markdown` to `GITHUB_STEP_SUMMARY` and prints `annotations` as workflow commands,
 * when the environment asks for them (see the file comment); does nothing elsewhere. Never
 * throws: a file that cannot be appended to is a warning on stderr and the exit code stays.
 */
export async function publishToGithubActions(
  io: { env: Readonly<Record<string, string | undefined>>; stdout: OutputStream; stderr: OutputStream },
  options: PublishOptions,
): Promise<void> {
  const target = githubActionsTarget(io.env);
  if (!target) return;
  const redact = options.redact ?? ((text: string) => text);
  if (target.summaryFile !== undefined) {
    // Blocks from several commands in one step (run, then compare) stay apart.
    const block = `${fitStepSummary(redact(options.markdown)).trimEnd()}\n\n`;
    try {
      await appendFile(target.summaryFile, block);
    } catch (error) {
      io.stderr.write(
        `fleetsim: warning: could not append the summary to GITHUB_STEP_SUMMARY (${target.summaryFile}): ${(error as Error).message}; the exit code is unchanged\n`,
      );
    }
  }
  if (!target.annotate) return;
  for (const annotation of options.annotations) io.stdout.write(`${workflowCommand({ ...annotation, message: redact(annotation.message) })}\n`);
}

/** `run` / `merge`: the run's summary.md and why it failed, when in GitHub Actions. */
export async function publishRunSummary(
  io: Parameters<typeof publishToGithubActions>[0],
  summary: RunSummary,
  redact?: (text: string) => string,
): Promise<void> {
  if (!githubActionsTarget(io.env)) return;
  await publishToGithubActions(io, { markdown: renderMarkdown(summary), annotations: runAnnotations(summary), ...(redact ? { redact } : {}) });
}
