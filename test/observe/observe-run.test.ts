import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { startObservation, type RunObservation } from '../../src/observe/observe-run.js';
import { manualClock } from '../helpers/clock.js';
import { fakeProbe, laggingProbe } from './fake-probe.js';

const RUN = { scenario: 's', runId: 'r', target: 'https://user:secret@coder.example.com/?token=x', version: '0' };
const opened: RunObservation[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

describe('startObservation', () => {
  it('without an address serves nothing and hands workloads the primary sink itself', async () => {
    const { log } = capture();
    const observation = await startObservation({ run: RUN, elapsedSeconds: () => 0, log, probe: fakeProbe([{}]) });
    opened.push(observation);
    const recorder = createRecorder({ clock: manualClock() });
    expect(observation.metricsUrl).toBeUndefined();
    expect(observation.sink(recorder)).toBe(recorder);
  });

  it('before the run starts the self-check reports an empty, ok section', async () => {
    const { log } = capture();
    const probe = fakeProbe([{}]);
    const observation = await startObservation({ run: RUN, elapsedSeconds: () => 0, log, probe });
    opened.push(observation);
    expect(observation.stopMonitor()).toMatchObject({ seconds: 0, verdict: 'ok' });
    observation.beginRun();
    expect(probe.started).toBe(false);
  });

  it('warns once, only when the run as a whole is over the limit (not at the first bad second)', async () => {
    vi.useFakeTimers();
    const { lines, log } = capture();
    const observation = await startObservation({ run: RUN, elapsedSeconds: () => 0, log, probe: laggingProbe(), intervalMs: 1000 });
    opened.push(observation);
    observation.beginRun();
    vi.advanceTimersByTime(9_000);
    expect(lines.filter((l) => l.startsWith('[warn]'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('[debug] harness saturated in second'))).toHaveLength(9);
    vi.advanceTimersByTime(5_000);
    const warnings = lines.filter((l) => l.startsWith('[warn]'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/the harness is saturated: 10 of 10 seconds so far .*fewer agents per process/);
    expect(observation.stopMonitor()).toMatchObject({ verdict: 'saturated' });
  });

  it('exposes the run without credentials from the target URL', async () => {
    const { log } = capture();
    const observation = await startObservation({ run: RUN, elapsedSeconds: () => 3, log, probe: fakeProbe([{}]), metricsAddr: '127.0.0.1:0' });
    opened.push(observation);
    const text = await (await fetch(observation.metricsUrl!)).text();
    expect(text).toContain('target="https://coder.example.com"');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('token=x');
    expect(text).toContain('fleetsim_run_elapsed_seconds 3');
  });
});
