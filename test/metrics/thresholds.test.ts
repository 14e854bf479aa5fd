import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { handFedSummary } from './fixtures.js';

const evalOne = (expression: string, coordinator = false) => evaluateThresholds(handFedSummary({ coordinator }), [parseThreshold(expression)])[0]!;

describe('parseThreshold', () => {
  it.each([
    ['p99(POST /me/report-stats) < 200ms', { kind: 'latency', stat: 'p99', endpoint: 'POST /me/report-stats' }, '<', 200, 'ms'],
    ['  p95( GET   /{id} )<=1.5s ', { kind: 'latency', stat: 'p95', endpoint: 'GET /{id}' }, '<=', 1500, 'ms'],
    ['max(GET /me/metadata) > 0', { kind: 'latency', stat: 'max', endpoint: 'GET /me/metadata' }, '>', 0, 'ms'],
    ['mean(GET /{id}/listening-ports) != 250', { kind: 'latency', stat: 'mean', endpoint: 'GET /{id}/listening-ports' }, '!=', 250, 'ms'],
    ['P999(propagation) < 2s', { kind: 'coordinator_latency', stat: 'p999', subject: 'propagation' }, '<', 2000, 'ms'],
    ['p99(first_node) < 500ms', { kind: 'coordinator_latency', stat: 'p99', subject: 'first_node' }, '<', 500, 'ms'],
    ['error_rate < 1%', { kind: 'total', stat: 'error_rate' }, '<', 0.01, 'ratio'],
    ['error_rate(POST /me/app-health) <= 0.005', { kind: 'endpoint', stat: 'error_rate', endpoint: 'POST /me/app-health' }, '<=', 0.005, 'ratio'],
    ['count(GET /{id}) >= 100', { kind: 'endpoint', stat: 'count', endpoint: 'GET /{id}' }, '>=', 100, 'number'],
    ['errors(GET /{id}) == 0', { kind: 'endpoint', stat: 'errors', endpoint: 'GET /{id}' }, '==', 0, 'number'],
    ['p99(RPC /coder.agent.v2.Agent/UpdateStats) < 500ms', { kind: 'latency', stat: 'p99', endpoint: 'RPC /coder.agent.v2.Agent/UpdateStats' }, '<', 500, 'ms'],
    [
      'errors(RPC /coder.tailnet.v2.Tailnet/Coordinate) == 0',
      { kind: 'endpoint', stat: 'errors', endpoint: 'RPC /coder.tailnet.v2.Tailnet/Coordinate' },
      '==',
      0,
      'number',
    ],
    ['connected_ratio >= 0.99', { kind: 'agents', stat: 'connected_ratio' }, '>=', 0.99, 'ratio'],
    ['peak_connected_ratio == 100%', { kind: 'agents', stat: 'peak_connected_ratio' }, '==', 1, 'ratio'],
    ['reconnects < 5', { kind: 'agents', stat: 'reconnects' }, '<', 5, 'number'],
    ['peak_reconnects_per_second <= 50', { kind: 'agents', stat: 'peak_reconnects_per_second' }, '<=', 50, 'number'],
    ['lost == 0', { kind: 'coordinator', stat: 'lost' }, '==', 0, 'number'],
    ['out_of_order <= .5', { kind: 'coordinator', stat: 'out_of_order' }, '<=', 0.5, 'number'],
    ['delivered_per_second > 100', { kind: 'coordinator', stat: 'delivered_per_second' }, '>', 100, 'number'],
  ] as const)('parses %s', (expression, metric, op, value, unit) => {
    const t = parseThreshold(expression);
    expect(t).toEqual({ expression: expression.trim(), metric, op, value, unit });
  });

  it.each([
    ['', /column 1: empty threshold/],
    ['   ', /column 4: empty threshold/],
    ['< 200ms', /column 1: expected a metric name/],
    ['p98(GET /{id}) < 1ms', /column 1: unknown metric "p98"; known metrics: p50/],
    ['p99 < 200ms', /column 5: p99 needs an argument: p99\(<METHOD> <route>\)/],
    ['p99() < 200ms', /column 5: p99\(\) needs an argument/],
    ['p99(GET /{id} < 200ms', /column 4: missing "\)" to close/],
    ['p99(get /{id}) < 2ms', /column 5: expected an endpoint .*found "get \/\{id\}" \(methods are upper case: GET\)/],
    ['p99(FETCH /x) < 2ms', /column 5: expected an endpoint "<METHOD> <route template>"/],
    ['p99(GET me/metadata) < 2ms', /the route after GET must start with "\/"/],
    ['count(propagation) > 1', /expected an endpoint .*found "propagation"/],
    ['lost(GET /{id}) == 0', /column 6: lost takes no argument/],
    ['error_rate 1%', /column 12: expected a comparison operator \(<, <=, >, >=, ==, !=\) after error_rate, found "1%"/],
    ['error_rate =< 1%', /column 12: unknown operator "=<"/],
    ['error_rate = 1%', /column 12: unknown operator "="/],
    ['error_rate <', /column 13: expected a value like 200ms, 1.5s, 1% or 0.99, found the end/],
    ['error_rate < -1', /column 14: expected a value like/],
    ['p99(GET /{id}) < 200sec', /column 21: unknown unit "sec"; use ms, s or %/],
    ['p99(GET /{id}) < 5%', /column 19: p99 is a latency: use ms or s/],
    ['error_rate < 5ms', /column 15: error_rate is a ratio: use % or a fraction/],
    ['error_rate < 5', /column 14: error_rate is a ratio between 0 and 1 \(or 0%..100%\); did you mean 5%\?/],
    ['connected_ratio > 150%', /connected_ratio is a ratio between 0 and 1/],
    ['reconnects < 5s', /column 15: reconnects is a plain number: write it without a unit/],
    ['lost == 0 extra', /column 11: unexpected "extra" after the value/],
  ])('rejects %j with a message that points at the problem', (expression, message) => {
    let error: unknown;
    try {
      parseThreshold(expression);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).code).toBe('bad_scenario');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`threshold "${expression}"`);
  });
});

describe('evaluateThresholds', () => {
  it('passes and fails exactly at the boundaries', () => {
    // report-stats: max exactly 100 ms; metadata: 50 requests, 5 errors = 10 %.
    expect(evalOne('max(POST /me/report-stats) <= 100ms')).toEqual({ expression: 'max(POST /me/report-stats) <= 100ms', observed: 100, pass: true });
    expect(evalOne('max(POST /me/report-stats) < 100ms').pass).toBe(false);
    expect(evalOne('max(POST /me/report-stats) < 0.1s').pass).toBe(false);
    expect(evalOne('min(GET /me/metadata) == 0.25').pass).toBe(true);
    expect(evalOne('error_rate(GET /me/metadata) <= 10%')).toMatchObject({ observed: 0.1, pass: true });
    expect(evalOne('error_rate(GET /me/metadata) < 10%').pass).toBe(false);
    expect(evalOne('count(POST /me/report-stats) == 100').pass).toBe(true);
    expect(evalOne('errors(POST /me/report-stats) == 3').pass).toBe(true);
    expect(evalOne('count > 149')).toMatchObject({ observed: 150, pass: true });
    expect(evalOne('errors != 8').pass).toBe(false);
    expect(evalOne('error_rate < 5%')).toMatchObject({ observed: 8 / 150, pass: false });
    expect(evalOne('connected_ratio >= 80%')).toMatchObject({ observed: 0.8, pass: true });
    expect(evalOne('connected_ratio > 0.8').pass).toBe(false);
    expect(evalOne('peak_connected_ratio == 1')).toMatchObject({ observed: 1, pass: true });
    expect(evalOne('reconnects <= 3')).toMatchObject({ observed: 3, pass: true });
    expect(evalOne('peak_reconnects_per_second < 3')).toMatchObject({ observed: 3, pass: false });
  });

  it('evaluates coordinator thresholds', () => {
    expect(evalOne('lost == 0', true)).toMatchObject({ observed: 2, pass: false });
    expect(evalOne('duplicated <= 1', true)).toMatchObject({ observed: 1, pass: true });
    expect(evalOne('out_of_order == 0', true)).toMatchObject({ observed: 0, pass: true });
    expect(evalOne('delivered_per_second >= 10.8', true).pass).toBe(true);
    expect(evalOne('max(propagation) <= 9.8ms', true)).toMatchObject({ observed: 9.8, pass: true });
    expect(evalOne('p99(first_node) < 80ms', true).pass).toBe(false);
  });

  it('fails with observed null (and no crash) when a value cannot be measured', () => {
    expect(evalOne('p99(GET /nope) < 1s')).toEqual({ expression: 'p99(GET /nope) < 1s', observed: null, pass: false });
    expect(evalOne('error_rate(GET /nope) < 1%')).toMatchObject({ observed: null, pass: false });
    expect(evalOne('lost == 0')).toMatchObject({ observed: null, pass: false });
    expect(evalOne('p50(propagation) < 1s')).toMatchObject({ observed: null, pass: false });
    const summary = handFedSummary();
    summary.agents.planned = 0;
    expect(evaluateThresholds(summary, [parseThreshold('connected_ratio > 0')])[0]).toMatchObject({ observed: null, pass: false });
  });
});
