import { describe, expect, it } from 'vitest';
import { ENDPOINT, METRIC } from '../../src/metrics/names.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { recordDialTiming, recordRequestTiming } from '../../src/metrics/request-timing.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { GeneratorSummary } from '../../src/metrics/summary-types.js';
import { renderConsole } from '../../src/reporters/console.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { queuedWarning } from '../../src/reporters/timing-format.js';
import { manualClock } from '../helpers/clock.js';
import { META } from './fixtures.js';

const GENERATOR: GeneratorSummary = {
  eventLoopDelayMs: { p50: 1, p99: 2, max: 3 },
  cpuPercent: { mean: 10, max: 20 },
  maxRssBytes: 1,
  seconds: 10,
  saturatedSeconds: 0,
  verdict: 'ok',
};

/** A run whose endpoints split as given: `[queued ms, service ms]` for every sample. */
function summaryOf(split: Record<string, [number, number]>, options: { dial?: string; http?: 'shared' | 'fd-budget' } = {}) {
  const recorder = createRecorder({ clock: manualClock() });
  for (const [endpoint, [queued, service]] of Object.entries(split)) {
    const tags = { endpoint };
    for (let i = 0; i < 100; i++) {
      recorder.trend(METRIC.request, queued + service, tags);
      if (endpoint === options.dial) recordDialTiming(recorder, tags, queued, service);
      else recordRequestTiming(recorder, tags, queued, service);
    }
  }
  if (options.http === 'shared') recorder.gauge(METRIC.httpModel, 1, { model: 'shared', chosen: 'scenario', openFilesLimit: '20000' });
  if (options.http === 'fd-budget') recorder.gauge(METRIC.httpModel, 1, { model: 'shared', chosen: 'fd-budget', openFilesLimit: '1024' });
  return buildSummary(recorder, { meta: META, agentsPlanned: 10, generator: GENERATOR });
}

describe('where the time went, in the summary', () => {
  it('gives each endpoint its queued, service and (for dials) connect p50/p99/max', () => {
    const s = summaryOf({ [ENDPOINT.reportStats]: [2, 8], [ENDPOINT.agentCoordinate]: [0, 4] }, { dial: ENDPOINT.agentCoordinate });
    expect(s.endpoints[ENDPOINT.reportStats]).toMatchObject({
      p99: 10,
      queued: { count: 100, p50: 2, p99: 2, max: 2 },
      service: { count: 100, p50: 8, p99: 8, max: 8 },
    });
    expect(s.endpoints[ENDPOINT.reportStats]!.connect).toBeUndefined();
    expect(s.endpoints[ENDPOINT.agentCoordinate]).toMatchObject({ queued: { p99: 0 }, service: { p99: 4 }, connect: { count: 100, p99: 4 } });
  });

  it('counts in the generator section, and warns in words, only for endpoints whose queued p99 beats their service p99', () => {
    const s = summaryOf({
      [ENDPOINT.metadata]: [50, 5], // mostly queued inside fleetsim
      [ENDPOINT.reportStats]: [2, 20], // mostly the target
      [ENDPOINT.version]: [0.5, 0.1], // queued wins, but below a millisecond: one loop turn, not a queue
    });
    expect(s.generator?.queuedOverService).toEqual({ count: 1, endpoints: [ENDPOINT.metadata] });
    const warning = queuedWarning(s)!;
    expect(warning).toMatch(/^most of this latency was spent inside fleetsim: GET \/me\/metadata queued p99 50\.0ms vs service p99 5\.00ms/);
    expect(warning).not.toContain(ENDPOINT.reportStats);
    expect(warning).not.toContain(ENDPOINT.version);
    expect(warning).toContain('What to change');
    // Every reporter says it.
    expect(renderConsole(s)).toContain(`warning: ${warning}`);
    expect(renderMarkdown(s)).toContain('**Inside fleetsim.**');
    expect(renderHtml(s)).toContain('Inside fleetsim.');
    expect(renderJunit(s)).toContain('most of this latency was spent inside fleetsim');
  });

  it('says nothing when the target took the time', () => {
    const s = summaryOf({ [ENDPOINT.metadata]: [1, 30], [ENDPOINT.reportStats]: [0, 2] });
    expect(s.generator?.queuedOverService).toEqual({ count: 0, endpoints: [] });
    expect(queuedWarning(s)).toBeUndefined();
    for (const text of [renderConsole(s), renderMarkdown(s), renderHtml(s), renderJunit(s)]) expect(text).not.toContain('latency was spent inside fleetsim');
    // The split itself is still shown.
    expect(renderConsole(s)).toContain('where the time went');
    expect(renderMarkdown(s)).toContain('### Where the time went');
  });

  it('advises on the shared pool, and says when the default fell back to it', () => {
    const shared = summaryOf({ [ENDPOINT.metadata]: [50, 5] }, { http: 'shared' });
    expect(queuedWarning(shared)).toContain('agents.httpConnections');
    const fellBack = summaryOf({ [ENDPOINT.metadata]: [1, 5] }, { http: 'fd-budget' });
    expect(fellBack.agents.http).toEqual({ model: 'shared', chosen: 'fd-budget', openFilesLimit: 1024 });
    expect(renderConsole(fellBack)).toContain('agents.http fell back to "shared"');
    expect(renderMarkdown(fellBack)).toContain('fell back to "shared"');
  });
});
