/**
 * bench:burst — does a start-up burst queue inside fleetsim? Starts `--agents` agents at once
 * (rampUp 0) against the embedded server, runs `--seconds`, with report-stats every
 * `--interval`, and compares the whole run's report-stats p99 (what the summary says) with its
 * steady-state p99 (samples answered after `--settle` seconds, when every agent is up).
 *
 *   npm run bench:burst -- [--agents 1000] [--seconds 60] [--interval 2s] [--settle 10]
 *                          [--http auto|per-agent|shared]
 *
 * Prints the split (queued / service p50, p99, max) for the start-up and steady windows, and the
 * generator self-check. Then, unless `--baseline none`, the same burst from the bare undici + ws
 * client of bench:fleet (bench/bare-startup.ts: the same start-up requests, one connection per
 * agent, the whole fleet admitted at once like fleetsim's per-agent default, report-stats every
 * `--interval` timed from each planned tick) against a fresh embedded server: what the same
 * burst costs with no fleetsim in the client at all. The last stdout line is one JSON object:
 *   {"bench":"burst","agents":…,"http":…,"whole_p99_ms":…,"steady_p99_ms":…,"ratio":…,…,
 *    "bare_whole_p99_ms":…,"bare_steady_p99_ms":…,"bare_ratio":…,"whole_vs_bare":…}
 * The goal (docs/benchmarks.md, "Start-up burst"): ratio ≤ 2. The run's own report is written
 * to a temporary folder and removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from '../src/index.js';
import { newHistogram, type Histogram } from '../src/metrics/hdr.js';
import { ENDPOINT, METRIC } from '../src/metrics/names.js';
import type { MetricSink, Tags } from '../src/metrics/sink.js';
import { validateScenario } from '../src/scenario/load.js';
import { performance } from 'node:perf_hooks';
import { parseDuration } from '../src/scenario/duration.js';
import { startReferenceServerProcess } from '../src/server/server-process.js';
import { startBareStartup } from './bare-startup.js';
import { createAgentNode } from '../src/protocol/node-factory.js';
import { encodeNode } from '../src/protocol/node-codec.js';
import { createRng } from '../src/core/rng.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '2s' },
    settle: { type: 'string', default: '10' },
    http: { type: 'string', default: 'auto' },
    baseline: { type: 'string', default: 'bare' },
  },
  allowPositionals: true,
});
if (values.baseline !== 'bare' && values.baseline !== 'none') throw new Error(`--baseline must be bare or none, got ${values.baseline}`);
const agents = Number(values.agents);
const seconds = Number(values.seconds);
const settleMs = Number(values.settle) * 1000;

/** Per window (start-up, steady): histograms of the headline, queued and service samples. */
class Window {
  readonly headline: Histogram = newHistogram();
  readonly queued: Histogram = newHistogram();
  readonly service: Histogram = newHistogram();
}
const startup = new Window();
const steady = new Window();
const STATS = ENDPOINT.reportStats;
let origin = 0;

function sinkFrom(startedAt: number): MetricSink {
  origin = startedAt;
  const record = (h: Histogram, ms: number) => h.recordValue(Math.max(1, Math.round(ms * 1000)));
  return {
    trend(name: string, ms: number, tags?: Tags) {
      if (tags?.endpoint !== STATS) return;
      const w = performance.now() - origin < settleMs ? startup : steady;
      if (name === METRIC.request) record(w.headline, ms);
      else if (name === METRIC.requestQueued) record(w.queued, ms);
      else if (name === METRIC.requestService) record(w.service, ms);
    },
    count() {},
    gauge() {},
    rate() {},
  };
}

/**
 * The bare client's leg: the same burst, agents, interval and seconds against a fresh embedded
 * server process; report-stats samples split into the same windows (by when they ended).
 */
async function bareLeg(): Promise<{ whole: Histogram; startup: Histogram; steady: Histogram; errors: number }> {
  const server = await startReferenceServerProcess({ agents, seed: 'burst', rateLimit: 0, reportIntervalMs: parseDuration(values.interval!) });
  const whole = newHistogram();
  const early = newHistogram();
  const late = newHistogram();
  try {
    const bare = server.credentials.agents.map((a, i) => ({ token: a.token, node: encodeNode(createAgentNode(createRng(`bare-${i}`))) }));
    const started = performance.now();
    const run = startBareStartup({
      url: server.url,
      agents: bare,
      dials: agents,
      addresses: [],
      perAgentHttp: true,
      poolSize: 256,
      deadline: started + seconds * 1000,
      statsEveryMs: parseDuration(values.interval!),
      onSample(endpoint, ms, endedAt) {
        if (endpoint !== STATS) return;
        const us = Math.max(1, Math.round(ms * 1000));
        whole.recordValue(us);
        (endedAt - started < settleMs ? early : late).recordValue(us);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const errors = run.errors();
    await run.close();
    return { whole, startup: early, steady: late, errors };
  } finally {
    await server.close();
  }
}

const ms = (h: Histogram, p: number) => Math.round(h.getValueAtPercentile(p) / 10) / 100;
const line = (name: string, h: Histogram) =>
  `${name.padEnd(9)} n=${String(h.totalCount).padStart(6)} p50 ${ms(h, 50)} ms · p99 ${ms(h, 99)} ms · max ${Math.round(h.maxValue / 10) / 100} ms`;

const scenario = validateScenario(
  {
    name: 'burst',
    seed: 'burst',
    duration: `${seconds}s`,
    server: { reportInterval: values.interval, rateLimit: 0 },
    agents: { count: agents, rampUp: '0s', http: values.http },
  },
  'bench/burst.ts',
);
const outDir = mkdtempSync(join(tmpdir(), 'fleetsim-burst-'));
try {
  const result = await runScenario({ scenario, outDir, print: () => {}, tap: (at) => sinkFrom(at) });
  const s = result.summary;
  const e = s.endpoints[STATS]!;
  const g = s.generator;
  console.log(`agents.http: ${JSON.stringify(s.agents.http)} · connected ${s.agents.connected}/${s.agents.planned}`);
  console.log(`summary ${STATS}: p50 ${e.p50} · p99 ${e.p99} · max ${e.max} ms; queued ${JSON.stringify(e.queued)}; service ${JSON.stringify(e.service)}`);
  for (const [name, w] of [
    [`first ${settleMs / 1000}s`, startup],
    ['steady', steady],
  ] as const) {
    console.log(name);
    console.log('  ' + line('headline', w.headline));
    console.log('  ' + line('queued', w.queued));
    console.log('  ' + line('service', w.service));
  }
  if (g)
    console.log(
      `harness: ${g.verdict}, ${g.saturatedSeconds}/${g.seconds} saturated, event-loop p99 ${g.eventLoopDelayMs.p99} ms, CPU mean ${g.cpuPercent.mean}%, queuedOverService ${JSON.stringify(g.queuedOverService)}`,
    );
  for (const [name, x] of Object.entries(s.endpoints)) {
    if (x.queued)
      console.log(
        `  ${name.padEnd(34)} p99 ${x.p99} · queued p99 ${x.queued.p99} · service p99 ${x.service?.p99}${x.connect ? ` · connect p99 ${x.connect.p99}` : ''}`,
      );
  }
  const steadyP99 = ms(steady.headline, 99);
  const bare = values.baseline === 'none' ? undefined : await bareLeg();
  if (bare) {
    console.log(`bare client, same burst (${bare.errors} errors), ${STATS}:`);
    console.log('  ' + line('whole', bare.whole));
    console.log('  ' + line(`first ${settleMs / 1000}s`, bare.startup));
    console.log('  ' + line('steady', bare.steady));
  }
  const bareWhole = bare ? ms(bare.whole, 99) : null;
  const bareSteady = bare ? ms(bare.steady, 99) : null;
  const div = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? Math.round((a / b) * 100) / 100 : null);
  console.log(
    JSON.stringify({
      bench: 'burst',
      agents,
      http: s.agents.http?.model,
      whole_p99_ms: e.p99,
      steady_p99_ms: steadyP99,
      ratio: e.p99 !== null && steadyP99 > 0 ? Math.round((e.p99 / steadyP99) * 100) / 100 : null,
      startup_queued_p99_ms: ms(startup.queued, 99),
      steady_queued_p99_ms: ms(steady.queued, 99),
      generator: g?.verdict,
      exit: result.exitCode,
      bare_whole_p99_ms: bareWhole,
      bare_steady_p99_ms: bareSteady,
      bare_ratio: div(bareWhole, bareSteady),
      whole_vs_bare: div(e.p99, bareWhole),
      bare_errors: bare?.errors ?? null,
    }),
  );
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
