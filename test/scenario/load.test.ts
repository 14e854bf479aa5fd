import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { applyOverrides, loadScenario } from '../../src/scenario/load.js';
import { planScenario } from '../../src/scenario/plan.js';

const SCENARIOS = resolve(import.meta.dirname, '../../scenarios');
const DEFINE = resolve(import.meta.dirname, '../../src/scenario/define.ts');

async function rejection(promise: Promise<unknown>): Promise<FleetsimError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FleetsimError);
    return error as FleetsimError;
  }
  throw new Error('expected a rejection');
}

describe('the ready scenarios', async () => {
  const files = (await readdir(SCENARIOS)).filter((f) => /\.(ts|json)$/.test(f));

  it('include the documented scenarios', () => {
    expect(files.sort()).toEqual(
      [
        'ci-repro.json',
        'capacity-demo.ts',
        'coderd-restart.ts',
        'coordinator-bench.ts',
        'coordinator-bench-v2.ts',
        'flaky-network.ts',
        'reconnect-storm.ts',
        'reconnect-storm-jitter.ts',
        'rest-soak.ts',
        'smoke.ts',
        'smoke-v2.ts',
        'steady-fleet.ts',
        'terminal-traffic.ts',
      ].sort(),
    );
  });

  it('the fault scenarios stay short and gate on recovery', async () => {
    const restart = await loadScenario(join(SCENARIOS, 'coderd-restart.ts'));
    expect(restart.faults.map((f) => f.action)).toEqual(['restart-target']);
    expect(restart.thresholds).toContain('recovery(restart-target) < 30s');
    const flaky = await loadScenario(join(SCENARIOS, 'flaky-network.ts'));
    expect(flaky.faults.map((f) => f.action)).toEqual(['latency', 'reset', 'blackhole']);
    // Network faults only, so it also runs against a real target.
    const remote = await loadScenario(join(SCENARIOS, 'flaky-network.ts'), { target: { url: 'http://coder.example.com:7080', credentials: 'creds.json' } });
    expect(remote.server).toBeUndefined();
    for (const s of [restart, flaky]) expect(s.duration).toBeLessThanOrEqual(40_000);
  });

  it.each(files)('%s validates and plans', async (file) => {
    const scenario = await loadScenario(join(SCENARIOS, file));
    const plan = planScenario(scenario);
    expect(plan.peakAgents).toBeGreaterThan(0);
    expect(plan.phases.at(-1)?.endMs).toBe(scenario.duration);
    expect(scenario.thresholds.length).toBeGreaterThan(0);
  });

  it('smoke matches its brief', async () => {
    const s = await loadScenario(join(SCENARIOS, 'smoke.ts'));
    expect(s.agents.count).toBe(50);
    expect(s.agents.auth).toEqual({ token: 1, aws: 1, azure: 1, google: 1 });
    expect(s.duration).toBeLessThanOrEqual(30_000);
    expect(s.server).toMatchObject({ reportInterval: 2_000, rateLimit: -1 });
    expect(s.agents.lifecycle.outcomes.start_error).toBeGreaterThan(0);
    expect(s.agents.apps.flapRate).toBeGreaterThan(0);
  });

  it('smoke-v2 is the smoke fleet over the v2 API', async () => {
    const v1 = await loadScenario(join(SCENARIOS, 'smoke.ts'));
    const v2 = await loadScenario(join(SCENARIOS, 'smoke-v2.ts'));
    expect(v1.agents.protocol).toBe('v1');
    expect(v2.agents.protocol).toBe('v2');
    expect(v2.agents.count).toBe(v1.agents.count);
    expect(v2.agents.auth).toEqual(v1.agents.auth);
    expect(v2.server).toEqual(v1.server);
  });

  it('--protocol overrides agents.protocol', async () => {
    const s = await loadScenario(join(SCENARIOS, 'smoke.ts'), { protocol: 'v2' });
    expect(s.agents.protocol).toBe('v2');
    expect(s.agents.count).toBe(50);
    await expect(loadScenario(join(SCENARIOS, 'smoke.ts'), { protocol: 'v3' })).rejects.toMatchObject({
      issues: ['agents.protocol: expected "v1" or "v2" or "auto", got "v3"'],
    });
  });
});

describe('terminal-traffic', () => {
  it('matches its brief: 40 KB/s per session, reconnect every 30 s, gated on echo p99 and replays, under a minute', async () => {
    const s = await loadScenario(join(SCENARIOS, 'terminal-traffic.ts'));
    expect(s.pty).toMatchObject({ sessionsPerAgent: 1, bytesPerSecond: 40_960, reconnectEvery: 30_000 });
    expect(s.pty!.startAfter + s.pty!.duration).toBe(s.duration);
    expect(s.pty!.startAfter + s.pty!.reconnectEvery!).toBeLessThan(s.duration); // at least one checked reconnect
    expect(s.duration).toBeLessThanOrEqual(60_000);
    expect(s.thresholds).toEqual(expect.arrayContaining(['replay_mismatches == 0', expect.stringMatching(/^p99\(echo\) </)]));
  });
});

describe('loadScenario', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetsim-scenario-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('loads a TypeScript default export written with defineScenario', async () => {
    const path = await file(
      'typed.ts',
      `import { defineScenario } from ${JSON.stringify(DEFINE)};\nconst d: string = '45s';\nexport default defineScenario({ name: 'typed', duration: d, agents: { count: 3 } });\n`,
    );
    const s = await loadScenario(path);
    expect(s).toMatchObject({ name: 'typed', duration: 45_000, agents: { count: 3 } });
  });

  it('loads JSON', async () => {
    const path = await file('plain.json', JSON.stringify({ name: 'plain', duration: '2m', seed: 9 }));
    expect(await loadScenario(path)).toMatchObject({ name: 'plain', duration: 120_000, seed: '9' });
  });

  it('names the file and lists every issue of an invalid file', async () => {
    const path = await file(
      'bad.json',
      JSON.stringify({
        name: 'bad',
        duration: '1m',
        agents: {
          phases: [
            { duration: '1s', to: 1 },
            { duration: '3x', to: 2 },
          ],
        },
        x: 1,
      }),
    );
    const error = await rejection(loadScenario(path));
    expect(error.code).toBe('bad_scenario');
    expect(error.message).toBe(`${path}: 2 problems in the scenario`);
    expect(error.issues).toEqual(['agents.phases[1].duration: expected a duration like "30s", got "3x" (units: ms, s, m, h)', 'x: unknown key']);
  });

  it('turns a missing file, bad syntax, a missing default export and an unknown extension into bad_scenario', async () => {
    const missing = await rejection(loadScenario(join(dir, 'nope.ts')));
    expect([missing.code, missing.message]).toEqual(['bad_scenario', `scenario file not found: ${join(dir, 'nope.ts')}`]);

    const syntax = await rejection(loadScenario(await file('syntax.ts', 'export default { name: "x", duration: \n')));
    expect(syntax.code).toBe('bad_scenario');
    expect(syntax.message).toContain('the scenario module failed to load');

    const json = await rejection(loadScenario(await file('syntax.json', '{ "name": "x", }')));
    expect(json.code).toBe('bad_scenario');
    expect(json.message).toContain('not valid JSON');

    const noDefault = await rejection(loadScenario(await file('named.ts', 'export const scenario = { name: "x", duration: "1s" };\n')));
    expect(noDefault.message).toContain('no default export');

    const yaml = await rejection(loadScenario(await file('s.yaml', 'name: x\n')));
    expect(yaml.message).toContain('unsupported scenario file type ".yaml"');
  });

  it('applies overrides before validating', async () => {
    const path = await file(
      'phased.json',
      JSON.stringify({
        name: 'phased',
        duration: '1m',
        server: { agents: 40 },
        agents: {
          phases: [
            { duration: '10s', to: 20 },
            { duration: '20s', to: 40 },
            { duration: '10s', to: 10 },
          ],
        },
      }),
    );
    const s = await loadScenario(path, { agents: 100, duration: '90s', seed: 'abc' });
    expect(s.agents.count).toBe(100);
    expect(s.agents.phases?.map((p) => p.to)).toEqual([50, 100, 25]);
    expect(s.server?.agents).toBe(100);
    expect(s.duration).toBe(90_000);
    expect(s.seed).toBe('abc');

    const bad = await rejection(loadScenario(path, { duration: 'soon' }));
    expect(bad.issues).toEqual(['duration: expected a duration like "30s", got "soon" (units: ms, s, m, h)']);
  });

  it('a --duration override rescales the timeline (phases, ramps, faults, REST window)', async () => {
    const path = await file(
      'timeline.json',
      JSON.stringify({
        name: 'timeline',
        duration: '20s',
        agents: {
          phases: [
            { duration: '4s', to: 10 },
            { duration: '16s', to: 10 },
          ],
        },
        faults: [{ at: '10s', action: 'drop-agent-sockets' }],
        rest: { mix: { 'GET /{id}': 1 }, startAfter: '5s', duration: '10s' },
      }),
    );
    const s = await loadScenario(path, { duration: '10s' });
    expect(s.duration).toBe(10_000);
    expect(s.agents.phases?.map((p) => p.duration)).toEqual([2_000, 8_000]);
    expect(s.faults.map((f) => f.at)).toEqual([5_000]);
    expect(s.rest?.startAfter).toBe(2_500);
    expect(s.rest?.duration).toBe(5_000);
  });

  it('a --target override drops the embedded-only server block but keeps faults (embedded-only ones then fail)', async () => {
    const target = { url: 'https://coder.example.com', credentials: 'creds.json' };
    const path = await file('embedded.json', JSON.stringify({ name: 'e', duration: '1m', server: { rateLimit: -1 } }));
    const s = await loadScenario(path, { target });
    expect(s.target).toEqual(target);
    expect(s.server).toBeUndefined();
    const faults = [
      { at: '10s', action: 'drop-agent-sockets' },
      { at: '15s', action: 'latency', ms: 50, duration: '5s' },
      { at: '20s', action: 'restart-target', downFor: '2s' },
      { at: '30s', action: 'refuse', duration: '5s' },
    ];
    const withFaults = await file('faults.json', JSON.stringify({ name: 'f', duration: '1m', faults }));
    const error = await rejection(loadScenario(withFaults, { target }));
    const why =
      'needs the embedded server, so it cannot go with "target": remove this fault, or use a network fault (latency, bandwidth, reset, blackhole, refuse, slow-close)';
    expect(error.issues).toEqual([`faults[0].action: "drop-agent-sockets" ${why}`, `faults[2].action: "restart-target" ${why}`]);
    // Network faults alone are fine with a real target: the proxy goes in front of it.
    const networkOnly = await file('network.json', JSON.stringify({ name: 'n', duration: '1m', faults: [faults[1], faults[3]] }));
    expect((await loadScenario(networkOnly, { target })).faults.map((f) => f.action)).toEqual(['latency', 'refuse']);
  });
});

describe('applyOverrides', () => {
  it('sets agents.count without phases and leaves the input untouched', () => {
    const raw = { name: 'x', duration: '1m', agents: { count: 5, rampUp: '5s' } };
    expect(applyOverrides(raw, { agents: 12 })).toEqual({ name: 'x', duration: '1m', agents: { count: 12, rampUp: '5s' } });
    expect(raw.agents.count).toBe(5);
  });

  it('rescales phases relative to an explicit count above the phase peak', () => {
    const raw = { agents: { count: 20, phases: [{ duration: '1s', to: 10 }] } };
    expect(applyOverrides(raw, { agents: 40 })).toEqual({ agents: { count: 40, phases: [{ duration: '1s', to: 20 }] } });
  });

  it('passes non-objects through for validation to report', () => {
    expect(applyOverrides(7, { agents: 1 })).toBe(7);
  });
});
