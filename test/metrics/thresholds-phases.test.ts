import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { manualClock } from '../helpers/clock.js';
import { META } from './fixtures.js';
import { phasedRun } from './phase-fixtures.js';

const summary = () => buildSummary(phasedRun(manualClock()), { meta: META, agentsPlanned: 1 });
const evalOne = (expression: string, s = summary()) => evaluateThresholds(s, [parseThreshold(expression)])[0]!;

describe('phase thresholds', () => {
  it('parses {phase:...} after an endpoint latency, count, errors or error_rate', () => {
    expect(parseThreshold('p99(POST /me/report-stats){phase:steady} < 50ms').metric).toEqual({
      kind: 'latency',
      stat: 'p99',
      endpoint: 'POST /me/report-stats',
      phase: 'steady',
    });
    expect(parseThreshold('p99(POST /me/report-stats) { Phase : Ramp } < 50ms').metric).toMatchObject({ phase: 'ramp' });
    expect(parseThreshold('error_rate{phase:drain} < 1%').metric).toEqual({ kind: 'total', stat: 'error_rate', phase: 'drain' });
    expect(parseThreshold('errors(GET /{id}){phase:steady} == 0').metric).toEqual({ kind: 'endpoint', stat: 'errors', endpoint: 'GET /{id}', phase: 'steady' });
    // Without a phase the metric is unchanged (no `phase` key).
    expect(parseThreshold('p99(POST /me/report-stats) < 50ms').metric).not.toHaveProperty('phase');
  });

  it.each([
    ['p99(POST /me/report-stats){phase:warmup} < 50ms', 'unknown phase "warmup"; use ramp, steady or drain'],
    ['p99(POST /me/report-stats){steady} < 50ms', 'expected {phase:ramp}, {phase:steady} or {phase:drain}'],
    ['p99(POST /me/report-stats){phase:steady < 50ms', 'missing "}"'],
    ['p99(propagation){phase:steady} < 50ms', "{phase:...} applies only to an endpoint's latency, count, errors and error_rate, not to p99(propagation)"],
    ['lost{phase:steady} == 0', 'not to lost'],
  ])('rejects %s', (expression, message) => {
    expect(() => parseThreshold(expression)).toThrow(FleetsimError);
    expect(() => parseThreshold(expression)).toThrow(message);
  });

  it('passes and fails on the phase figure, not the whole run', () => {
    // Whole run p99 300 ms (the drain), steady 5 ms, ramp 100 ms.
    expect(evalOne('p99(POST /me/report-stats) < 50ms')).toEqual({ expression: 'p99(POST /me/report-stats) < 50ms', observed: 300, pass: false });
    expect(evalOne('p99(POST /me/report-stats){phase:steady} < 50ms')).toEqual({
      expression: 'p99(POST /me/report-stats){phase:steady} < 50ms',
      observed: 5,
      pass: true,
    });
    expect(evalOne('p99(POST /me/report-stats){phase:ramp} < 50ms')).toMatchObject({ observed: 100, pass: false });
    expect(evalOne('count(POST /me/report-stats){phase:steady} == 60')).toMatchObject({ observed: 60, pass: true });
    expect(evalOne('errors(POST /me/report-stats){phase:drain} == 0')).toMatchObject({ observed: 3, pass: false });
    expect(evalOne('error_rate{phase:steady} < 4%')).toMatchObject({ observed: 2 / 66, pass: true });
    expect(evalOne('count{phase:ramp} == 10')).toMatchObject({ observed: 10, pass: true });
  });

  it('counts 0 for an endpoint quiet in that phase, and fails an unknown endpoint or a latency without samples', () => {
    expect(evalOne('count(GET /me/metadata){phase:drain} == 0')).toMatchObject({ observed: 0, pass: true });
    expect(evalOne('p99(GET /me/metadata){phase:drain} < 50ms')).toMatchObject({ observed: null, pass: false });
    expect(evalOne('count(GET /{id}){phase:steady} == 0')).toMatchObject({ observed: null, pass: false });
  });

  it('fails with a reason on a summary written before phases existed', () => {
    const old = summary();
    delete old.phases;
    expect(evalOne('p99(POST /me/report-stats){phase:steady} < 50ms', old)).toEqual({
      expression: 'p99(POST /me/report-stats){phase:steady} < 50ms',
      observed: null,
      pass: false,
      detail: 'this summary has no phases (written before phases existed)',
    });
  });
});
