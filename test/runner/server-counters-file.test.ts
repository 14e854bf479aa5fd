import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCounts } from '../../bench/scale-figures.js';
import { createLogger } from '../../src/core/log.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { SERVER_COUNTERS_FILE, type ServerCountersFile } from '../../src/runner/server-counters-file.js';
import { validateScenario } from '../../src/scenario/load.js';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'fleetsim-server-counters-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('server-counters.json', () => {
  it("an embedded run writes the server's totals beside the reports, and they equal the report's counts", async () => {
    const scenario = validateScenario(
      {
        name: 'server-counters',
        seed: 'server-counters',
        duration: '4s',
        server: { rateLimit: -1 },
        agents: { count: 3, auth: { token: 1 }, apps: { healthyAfter: '1s' }, lifecycle: { startupDuration: '500ms' } },
      },
      'inline',
    );
    const result = await runScenario({ scenario, outDir: out, log: createLogger({ write: () => {} }), print: () => {} });
    const path = join(result.reportDir, SERVER_COUNTERS_FILE);
    expect(result.written).toContain(path);
    const text = await readFile(path, 'utf8');
    const file = JSON.parse(text) as ServerCountersFile;
    expect(file).toMatchObject({ format: 'fleetsim-server-counters', version: 1 });
    expect(file.totals.versionPosts).toBe(3);
    expect(file.totals.coordinateOpened).toBe(3);
    // Totals only: no per-agent records (ids) and no tokens.
    expect(text).not.toContain('"agents"');
    expect(result.summary.totals.errors).toBe(0);
    const rows = compareCounts(result.summary, [file.totals]);
    expect(rows.filter((r) => !r.equal)).toEqual([]);
    expect(rows.find((r) => r.what === 'POST /me/report-lifecycle')!.report).toBe(6);
  }, 30_000);
});
