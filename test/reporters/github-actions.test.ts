import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withoutUserInfo } from '../../src/core/url.js';
import type { RunSummary } from '../../src/metrics/summary-types.js';
import { compareSummaries } from '../../src/reporters/compare.js';
import {
  compareAnnotations,
  escapeData,
  escapeProperty,
  fitStepSummary,
  githubActionsTarget,
  publishRunSummary,
  publishToGithubActions,
  runAnnotations,
  workflowCommand,
} from '../../src/reporters/github-actions.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { captureStream } from '../cli/cli-io.js';
import { handFedSummary } from '../metrics/fixtures.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetsim-gha-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function io(env: Record<string, string | undefined>) {
  return { env, stdout: captureStream(), stderr: captureStream() };
}

function withOutcome(outcome: RunSummary['outcome'], change: (s: RunSummary) => void = () => {}): RunSummary {
  const summary = handFedSummary();
  summary.outcome = outcome;
  change(summary);
  return summary;
}

describe('workflow command escaping (GitHub runner rules)', () => {
  it('escapes %, CR and LF in data, and also : and , in properties', () => {
    expect(escapeData('50%\r\nnext: a, b')).toBe('50%25%0D%0Anext: a, b');
    expect(escapeProperty('50%\r\nnext: a, b')).toBe('50%25%0D%0Anext%3A a%2C b');
    // `%` first: an escape sequence in the input is not decoded by the runner later.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('a command is one line whatever its text holds', () => {
    const line = workflowCommand({ level: 'error', title: 'a: b, c', message: 'line 1\nline 2 :: 100%' });
    expect(line).toBe('::error title=a%3A b%2C c::line 1%0Aline 2 :: 100%25');
    expect(line).not.toContain('\n');
  });
});

describe('when GitHub Actions output applies', () => {
  it('only inside Actions: GITHUB_ACTIONS=true or GITHUB_STEP_SUMMARY set', () => {
    expect(githubActionsTarget({})).toBeUndefined();
    expect(githubActionsTarget({ GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '' })).toBeUndefined();
    expect(githubActionsTarget({ GITHUB_ACTIONS: 'true' })).toEqual({ annotate: true });
    expect(githubActionsTarget({ GITHUB_STEP_SUMMARY: '/tmp/x' })).toEqual({ summaryFile: '/tmp/x', annotate: true });
  });

  it('prints and writes nothing on an ordinary terminal', async () => {
    const out = io({ TERM: 'xterm' });
    await publishRunSummary(
      out,
      withOutcome('failed', (s) => s.thresholds.push({ expression: 'lost == 0', observed: 3, pass: false })),
    );
    expect(out.stdout.text).toBe('');
    expect(out.stderr.text).toBe('');
  });
});

describe('annotations', () => {
  it('one error per failed threshold, none for a passed run', () => {
    const failed = withOutcome('failed', (s) => {
      s.thresholds = [
        { expression: 'error_rate < 1%', observed: 0.25, pass: false },
        { expression: 'lost == 0', observed: 0, pass: true },
        { expression: 'p99(POST /me/report-stats) < 10ms', observed: 42.5, pass: false },
      ];
    });
    const found = runAnnotations(failed);
    expect(found.map((a) => a.title)).toEqual(['fleetsim: threshold failed', 'fleetsim: threshold failed']);
    expect(found[0]!.message).toContain('error_rate < 1% (observed 25');
    expect(found[1]!.message).toContain('p99(POST /me/report-stats) < 10ms (observed 42.5');
    expect(found[0]!.message).toContain(failed.meta.runId);
    expect(runAnnotations(withOutcome('passed'))).toEqual([]);
  });

  it('invalid, interrupted and errored runs get one error each saying why', () => {
    const invalid = runAnnotations(
      withOutcome('invalid', (s) => {
        s.thresholds = [{ expression: 'lost == 0', observed: 5, pass: false }];
        s.generator = {
          verdict: 'saturated',
          seconds: 10,
          saturatedSeconds: 9,
          eventLoopDelayMs: { p50: 100, p99: 200, max: 300 },
          cpuPercent: { mean: 99, max: 100 },
          maxRssBytes: 1,
        };
      }),
    );
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ level: 'error', title: 'fleetsim: run invalid' });
    expect(invalid[0]!.message).toContain('the harness was saturated');
    expect(runAnnotations(withOutcome('interrupted'))).toEqual([expect.objectContaining({ title: 'fleetsim: run interrupted' })]);
    expect(runAnnotations(withOutcome('errored'))).toEqual([expect.objectContaining({ title: 'fleetsim: run errored' })]);
  });

  it('one error per regressed comparison row', () => {
    const baseline = handFedSummary({ coordinator: true });
    const current = handFedSummary({ coordinator: true });
    current.endpoints['POST /me/report-stats']!.p99 = 130;
    const found = compareAnnotations(compareSummaries(baseline, current, { tolerancePct: 10 }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ level: 'error', title: 'fleetsim: regression' });
    expect(found[0]!.message).toMatch(/p99 POST \/me\/report-stats .* → 130/);
    expect(found[0]!.message).toContain('tolerance 10%');
    expect(compareAnnotations(compareSummaries(baseline, baseline, { tolerancePct: 10 }))).toEqual([]);
  });
});

describe('the step summary', () => {
  it('appends the Markdown summary (after what is there) and prints the errors on stdout', async () => {
    const dir = await tempDir();
    const file = join(dir, 'step-summary.md');
    await writeFile(file, '# an earlier step\n');
    const out = io({ GITHUB_STEP_SUMMARY: file });
    const summary = withOutcome('failed', (s) => s.thresholds.push({ expression: 'lost == 0', observed: 3, pass: false }));
    await publishRunSummary(out, summary);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# an earlier step\n')).toBe(true);
    expect(text).toContain(renderMarkdown(summary).trimEnd());
    expect(out.stdout.text).toBe(`::error title=fleetsim%3A threshold failed::${summary.meta.scenario} (${summary.meta.runId}): lost == 0 (observed 3)\n`);
  });

  it('passes everything through redact: a registered secret never reaches the file or stdout', async () => {
    const dir = await tempDir();
    const file = join(dir, 'step-summary.md');
    const secret = 'tok-0123456789abcdef';
    const out = io({ GITHUB_STEP_SUMMARY: file });
    await publishToGithubActions(out, {
      markdown: `# run\nleaked ${secret}\n`,
      annotations: [{ level: 'error', title: 't', message: `leaked ${secret}` }],
      redact: (text) => text.split(secret).join('[redacted]'),
    });
    const text = await readFile(file, 'utf8');
    expect(text).toContain('leaked [redacted]');
    expect(text + out.stdout.text).not.toContain(secret);
  });

  it('the Markdown summary carries no user:password of the target URL', () => {
    // run-scenario writes meta.target through withoutUserInfo; the reporter shows what it is given.
    const summary = withOutcome('passed', (s) => (s.meta.target = withoutUserInfo('https://bob:hunter2@coder.example.com')));
    expect(renderMarkdown(summary)).not.toContain('hunter2');
    expect(renderMarkdown(summary)).toContain('https://coder.example.com');
    expect(withoutUserInfo('embedded')).toBe('embedded');
  });

  it('an unwritable summary file is a warning, not a failure', async () => {
    const dir = await tempDir();
    const out = io({ GITHUB_STEP_SUMMARY: join(dir, 'missing-folder', 'step-summary.md') });
    await expect(publishRunSummary(out, withOutcome('interrupted'))).resolves.toBeUndefined();
    expect(out.stderr.text).toMatch(/^fleetsim: warning: could not append the summary to GITHUB_STEP_SUMMARY .*ENOENT.*the exit code is unchanged\n$/);
    // The errors are still printed.
    expect(out.stdout.text).toContain('::error title=fleetsim%3A run interrupted::');

    // A folder where the file should be: refused even for root.
    const again = io({ GITHUB_STEP_SUMMARY: dir });
    await publishRunSummary(again, withOutcome('passed'));
    expect(again.stderr.text).toMatch(/could not append the summary to GITHUB_STEP_SUMMARY .*EISDIR/);
    expect(again.stdout.text).toBe('');
  });

  it('an oversized summary is cut at a line under the limit, with a note', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `| row ${i} | ${'é'.repeat(50)} |`);
    const cut = fitStepSummary(lines.join('\n'), 10_000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10_000);
    expect(cut).toContain('| row 0 |');
    expect(cut).toMatch(/\| row \d+ \| é+ \|\n\n_Cut to fit the step summary limit/);
    expect(fitStepSummary('small')).toBe('small');
  });
});
