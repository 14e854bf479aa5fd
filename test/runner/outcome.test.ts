import { describe, expect, it } from 'vitest';
import { runOutcome, stopReasonOf, type StopReason } from '../../src/runner/outcome.js';

describe('runOutcome: one precedence for the outcome and the exit code', () => {
  const rows: [StopReason, boolean, boolean, string, number][] = [
    // stopReason, errored, thresholdsFailed → outcome, exit
    ['completed', false, false, 'passed', 0],
    ['completed', false, true, 'failed', 10],
    ['completed', true, true, 'errored', 1],
    ['SIGINT', false, false, 'interrupted', 130],
    ['SIGINT', false, true, 'interrupted', 130],
    ['SIGTERM', false, true, 'interrupted', 143],
    ['SIGHUP', false, false, 'interrupted', 129],
    // A workload failed while the user interrupted: the failure wins, in the summary AND the exit code.
    ['SIGINT', true, false, 'errored', 1],
    ['SIGTERM', true, true, 'errored', 1],
    ['SIGHUP', true, false, 'errored', 1],
  ];
  it.each(rows)('%s, errored=%s, thresholdsFailed=%s → %s / exit %i', (stopReason, errored, thresholdsFailed, outcome, exitCode) => {
    expect(runOutcome({ stopReason, errored, thresholdsFailed })).toEqual({ outcome, exitCode });
  });

  it('a saturated harness makes the run invalid (exit 11) whatever the thresholds said; failures and signals still win', () => {
    expect(runOutcome({ stopReason: 'completed', errored: false, thresholdsFailed: false, saturated: true })).toEqual({ outcome: 'invalid', exitCode: 11 });
    expect(runOutcome({ stopReason: 'completed', errored: false, thresholdsFailed: true, saturated: true })).toEqual({ outcome: 'invalid', exitCode: 11 });
    expect(runOutcome({ stopReason: 'SIGINT', errored: false, thresholdsFailed: false, saturated: true })).toEqual({ outcome: 'interrupted', exitCode: 130 });
    expect(runOutcome({ stopReason: 'completed', errored: true, thresholdsFailed: false, saturated: true })).toEqual({ outcome: 'errored', exitCode: 1 });
    expect(runOutcome({ stopReason: 'completed', errored: false, thresholdsFailed: true, saturated: false })).toEqual({ outcome: 'failed', exitCode: 10 });
  });

  it('maps an abort reason to its signal (anything unknown is SIGINT)', () => {
    expect([stopReasonOf('SIGTERM'), stopReasonOf('SIGHUP'), stopReasonOf('SIGINT'), stopReasonOf(undefined)]).toEqual([
      'SIGTERM',
      'SIGHUP',
      'SIGINT',
      'SIGINT',
    ]);
  });
});
