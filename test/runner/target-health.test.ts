import { describe, expect, it } from 'vitest';
import { METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { createTargetHealth, teeSink } from '../../src/runner/target-health.js';
import { manualClock } from '../helpers/clock.js';

const ENDPOINT = 'POST /me/report-stats';

function setup() {
  let now = 0;
  const down: string[] = [];
  const up: string[] = [];
  const health = createTargetHealth({
    target: 'http://127.0.0.1:7080',
    now: () => now,
    onDown: (m) => down.push(m),
    onUp: (m) => up.push(m),
  });
  // One request as the clients record it: the latency, then (on failure) its error right after.
  const request = (at: number, errorClass?: string) => {
    now = at;
    health.trend(METRIC.request, 1, { endpoint: ENDPOINT });
    if (errorClass) health.count(METRIC.error, 1, { endpoint: ENDPOINT, class: errorClass });
  };
  return { health, down, up, request };
}

describe('target health monitor', () => {
  it('warns once after 10 s of refused requests, and once when the target answers again', () => {
    const { health, down, up, request } = setup();
    for (let t = 0; t <= 30_000; t += 250) request(t, 'refused'); // 121 failures over 30 s
    expect(down).toHaveLength(1);
    expect(down[0]).toBe(
      'target http://127.0.0.1:7080 looks down: all 41 requests of the last 10 s failed (last: refused on POST /me/report-stats); ' +
        'the fleet keeps retrying, and a message follows when it answers again',
    );
    expect(health.down).toBe(true);
    expect(up).toEqual([]);
    request(31_000); // an answer
    request(31_100); // (the previous one is known to have succeeded once the next one starts)
    expect(up).toEqual(['target http://127.0.0.1:7080 is answering again (it was unreachable for about 31 s)']);
    expect(health.down).toBe(false);
    for (let t = 32_000; t <= 40_000; t += 250) request(t, 'refused'); // 8 s: not long enough again
    expect(down).toHaveLength(1);
  });

  it('stays quiet while any request gets an answer, even an HTTP error', () => {
    const { down, request } = setup();
    for (let t = 0; t <= 60_000; t += 100) request(t, t % 5_000 === 0 ? 'http_500' : 'timeout');
    expect(down).toEqual([]);
  });

  it('ignores errors that are not a request (a socket closed by the peer)', () => {
    const { health, down, request } = setup();
    for (let t = 0; t <= 20_000; t += 1_000) {
      request(t, 'reset');
      health.count(METRIC.error, 1, { endpoint: 'GET /me/coordinate', class: 'ws_close_1006' });
    }
    expect(down).toHaveLength(1);
  });

  it('teeSink feeds the recorder and the monitor the same samples', () => {
    const clock = manualClock();
    const recorder = createRecorder({ clock });
    const { health, down } = setup();
    const sink = teeSink(recorder, health);
    sink.trend(METRIC.request, 5, { endpoint: ENDPOINT });
    sink.count(METRIC.error, 1, { endpoint: ENDPOINT, class: 'refused' });
    expect(recorder.snapshot().totalErrors).toBe(1);
    expect(down).toEqual([]);
  });
});
