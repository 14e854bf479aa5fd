import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/metrics/summary.js';
import { renderConsole } from '../../src/reporters/console.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { manualClock } from '../helpers/clock.js';
import { META } from '../metrics/fixtures.js';
import { phasedRun } from '../metrics/phase-fixtures.js';
import { createRecorder } from '../../src/metrics/recorder.js';
import { METRIC } from '../../src/metrics/names.js';

const summary = () => buildSummary(phasedRun(manualClock()), { meta: META, agentsPlanned: 1 });

describe('reporters: the steady phase beside the whole run', () => {
  it('console prints the phase bounds and a steady table with the run p99', () => {
    const text = renderConsole(summary());
    expect(text).toContain('steady phase 2.0s–8.0s (ramp 0.0s–2.0s · drain 8.0s–10.0s)');
    expect(text).toMatch(/ENDPOINT +COUNT +ERRORS +REQ\/S +P50 +P90 +P99 +MAX +RUN P99/);
    expect(text).toMatch(/POST \/me\/report-stats +60 +2 +10 +5\.00ms +5\.00ms +5\.00ms +5\.00ms +300ms/);
    expect(text).toMatch(/GET \/me\/metadata +6 +0 +1 +1\.00ms/);
  });

  it('markdown and HTML get a "Steady phase" section', () => {
    const md = renderMarkdown(summary());
    expect(md).toContain('## Steady phase');
    expect(md).toContain('| `POST /me/report-stats` | 60 | 2 | 10 | 5.00ms | 5.00ms | 5.00ms | 5.00ms | 300ms |');
    const html = renderHtml(summary());
    expect(html).toContain('<h2>Steady phase</h2>');
    expect(html).toContain('steady phase 2.0s–8.0s');
  });

  it('JUnit carries each phase and the steady figures as properties', () => {
    const xml = renderJunit(summary());
    expect(xml).toContain('<property name="phase.ramp" value="0.0s–2.0s, 10 requests, 1 errors"/>');
    expect(xml).toContain('<property name="phase.steady" value="2.0s–8.0s, 66 requests, 2 errors"/>');
    expect(xml).toContain('<property name="phase.drain" value="8.0s–10.0s, 4 requests, 3 errors"/>');
    expect(xml).toContain('<property name="steady.POST /me/report-stats" value="count 60, errors 2, p50 5.00ms, p99 5.00ms, max 5.00ms (run p99 300ms)"/>');
  });

  it('says so when the run never reached steady, and shows nothing for a summary without phases', () => {
    const clock = manualClock();
    const r = createRecorder({ clock });
    r.trend(METRIC.request, 4, { endpoint: 'GET /me/metadata' });
    clock.set(3_000);
    r.markEnd();
    const never = buildSummary(r, { meta: META, agentsPlanned: 1 });
    expect(renderConsole(never)).toContain('no steady phase: the ramp did not end before the stop');
    const old = summary();
    delete old.phases;
    expect(renderConsole(old)).not.toContain('steady phase');
    expect(renderMarkdown(old)).not.toContain('Steady phase');
    expect(renderJunit(old)).not.toContain('phase.');
  });
});
