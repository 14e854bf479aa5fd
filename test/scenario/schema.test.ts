import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { validateScenario } from '../../src/scenario/load.js';

/** The issue lines of a scenario that must fail validation. */
function issuesOf(input: unknown): readonly string[] {
  try {
    validateScenario(input, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).code).toBe('bad_scenario');
    expect((error as FleetsimError).exitCode).toBe(3);
    return (error as FleetsimError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('validateScenario: defaults', () => {
  it('fills every default, converts durations to ms and freezes the result', () => {
    const s = validateScenario({ name: 'min', duration: '20s' }, 'x');
    expect(s).toEqual({
      name: 'min',
      seed: '1',
      duration: 20_000,
      agents: {
        count: 10,
        rampUp: 0,
        rampDown: 0,
        protocol: 'v1',
        auth: { token: 1, aws: 0, azure: 0, google: 0 },
        version: 'v0.15.3',
        nodeUpdateInterval: 30_000,
        nodeUpdateJitter: 0.1,
        apps: { checkInterval: 1_000, healthyAfter: 2_000, flapRate: 0 },
        lifecycle: { outcomes: { ready: 1, start_error: 0, start_timeout: 0 }, startupDuration: 1_000 },
        gitauth: 0,
        gitAskpass: { share: 0, every: 300_000, urls: ['https://github.com/coder/coder.git'] },
        pingInterval: 30_000,
        pingTimeout: 30_000,
        requestTimeout: 10_000,
        reconnect: { initial: 100, max: 10_000, jitter: 'none' },
        http: 'auto',
        httpConnections: 256,
      },
      server: {
        agents: 10,
        reportInterval: 600_000,
        rateLimit: 512,
        heartbeat: 3_000,
        inactiveTimeout: 6_000,
        gitAuth: { answerAfter: 5_000, linkTtl: 3_600_000 },
      },
      faults: [],
      thresholds: [],
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.agents.auth)).toBe(true);
    expect(Object.isFrozen(s.faults)).toBe(true);
  });

  it('fills peers, rest and fault defaults; count and server.agents follow the phases', () => {
    const s = validateScenario(
      {
        name: 'full',
        seed: 7,
        duration: '1m',
        agents: {
          phases: [
            { duration: '10s', to: 40 },
            { duration: '20s', to: 20 },
          ],
        },
        peers: { perAgent: 2 },
        rest: { mix: { 'GET /me/metadata': 1 }, startAfter: '15s' },
        faults: [{ at: '30s', action: 'drop-agent-sockets' }],
      },
      'x',
    );
    expect(s.seed).toBe('7');
    expect(s.agents.count).toBe(40);
    expect(s.server?.agents).toBe(40);
    expect(s.peers).toEqual({
      perAgent: 2,
      updateRate: 0,
      jitter: 0.1,
      drainWindow: 2_000,
      auth: 'cookie',
      reconnect: { initial: 50, max: 10_000, jitter: 'none' },
    });
    expect(s.rest).toEqual({
      mix: { 'GET /me/metadata': 1 },
      model: 'closed',
      connections: 10,
      pipelining: 1,
      startAfter: 15_000,
      duration: 45_000,
    });
    expect(s.faults).toEqual([{ at: 30_000, action: 'drop-agent-sockets', fraction: 1 }]);
  });

  it('has no server block with a target', () => {
    const s = validateScenario({ name: 't', duration: 1000, target: { url: 'https://coder.example.com', credentials: 'c.json' } }, 'x');
    expect(s.server).toBeUndefined();
    expect(s.target).toEqual({ url: 'https://coder.example.com', credentials: 'c.json' });
  });
});

describe('validateScenario: problems', () => {
  it('lists every problem of a bad scenario, each with its path', () => {
    const issues = issuesOf({
      name: '',
      seed: true,
      duration: '3x',
      target: { url: 'ftp://coder', credentials: 'c.json' },
      server: { rateLimit: 1.5 },
      agents: {
        count: 5,
        phases: [
          { duration: '10s', to: 10 },
          { duration: '3x', to: -1 },
        ],
        auht: {},
        auth: { token: 0 },
        version: '1.2.3',
        nodeUpdateJitter: 2,
        lifecycle: { outcomes: { ready: 0 } },
      },
      peers: { perAgent: 0, auth: 'basic' },
      rest: { mix: { 'GET /me/metdata': 1, 'DELETE /x': 1 }, model: 'open', connections: 0 },
      faults: [{ at: '1m', action: 'drop' }],
      thresholds: ['nonsense', 5],
      extra: true,
    });
    expect(issues).toEqual([
      'name: must not be empty',
      'seed: expected a string or an integer, got true',
      'duration: expected a duration like "30s", got "3x" (units: ms, s, m, h)',
      'target.url: expected an http(s) URL like "https://coder.example.com", got "ftp://coder"',
      'server.rateLimit: expected an integer, got 1.5',
      'agents.phases[1].duration: expected a duration like "30s", got "3x" (units: ms, s, m, h)',
      'agents.phases[1].to: must be >= 0, got -1',
      'agents.version: expected a version like "v0.15.3" (semver with a leading v), got "1.2.3"',
      'agents.nodeUpdateJitter: must be <= 1, got 2',
      'agents.auht: unknown key (did you mean "auth"?)',
      'peers.perAgent: must be >= 1, got 0',
      'peers.auth: expected "header" or "cookie", got "basic"',
      'rest.connections: must be >= 1, got 0',
      expect.stringMatching(
        /^faults\[0\]\.action: unknown action "drop" \(did you mean "drop-agent-sockets"\?\); expected one of "drop-agent-sockets", "restart-target", /,
      ),
      expect.stringMatching(/^thresholds\[0\]: /),
      'thresholds[1]: expected a string, got 5',
      'extra: unknown key',
      'server: configures the embedded server, so it cannot go with "target": remove one of them',
      "agents.count: 5 is below the phases' peak of 10; raise it or leave it out (it defaults to the peak)",
      'agents.auth: the weights must sum to more than 0, e.g. { token: 1 }',
      'agents.lifecycle.outcomes: the weights must sum to more than 0, e.g. { ready: 1 }',
      'rest.rate: required when rest.model is "open" (overall requests per second)',
      'rest.mix["GET /me/metdata"]: unknown endpoint (did you mean "GET /me/metadata"?)',
      expect.stringMatching(/^rest\.mix\["DELETE \/x"\]: unknown endpoint; expected one of "GET \/\{id\}", /),
    ]);
  });

  it('reports missing required fields and a non-object scenario', () => {
    expect(issuesOf({})).toEqual(['name: required (a string)', 'duration: required (a duration like "30s")']);
    expect(issuesOf({ name: 'x', duration: 0 })).toEqual(['duration: must be longer than 0s']);
    expect(issuesOf(5)).toEqual(['(scenario): expected an object, got 5']);
  });

  it('rejects unknown keys at any depth with their path', () => {
    expect(
      issuesOf({
        name: 'x',
        duration: '1m',
        agents: { apps: { flaprate: 0.1 }, phases: [{ duration: '1s', to: 1, too: 2 }] },
        rest: { mix: { 'GET /me/metadata': 1 }, conections: 3 },
        peers: { perAgent: 1, updateRte: 1 },
        nmae: 'typo',
      }),
    ).toEqual([
      'agents.phases[0].too: unknown key (did you mean "to"?)',
      'agents.apps.flaprate: unknown key (did you mean "flapRate"?)',
      'peers.updateRte: unknown key (did you mean "updateRate"?)',
      'rest.conections: unknown key (did you mean "connections"?)',
      'nmae: unknown key (did you mean "name"?)',
    ]);
  });

  it('checks timeline rules against the duration', () => {
    expect(issuesOf({ name: 'x', duration: '10s', agents: { rampUp: '8s', rampDown: '5s' } })).toEqual([
      'agents.rampUp: rampUp (8s) + rampDown (5s) exceed duration (10s)',
    ]);
    expect(
      issuesOf({
        name: 'x',
        duration: '10s',
        agents: {
          phases: [
            { duration: '8s', to: 5 },
            { duration: '5s', to: 0 },
          ],
          rampUp: '1s',
        },
        server: { agents: 3 },
        faults: [{ at: '10s', action: 'drop-agent-sockets' }],
        rest: { mix: { 'GET /{id}': 1 }, startAfter: '5s', duration: '6s' },
      }),
    ).toEqual([
      'agents.phases: the phases last 13s but duration is 10s; shorten the phases or raise duration',
      'agents.rampUp: applies only without phases; add a ramp phase instead',
      'server.agents: 3 fixtures cannot serve a peak of 5 agents; raise it or leave it out (it defaults to agents.count)',
      'rest.duration: startAfter (5s) + duration (6s) run past the end of the run (10s)',
      'faults[0].at: 10s is not before the end of the run (duration 10s)',
    ]);
  });

  it('takes reconnect policies and the HTTP connection model, and checks them', () => {
    const s = validateScenario(
      {
        name: 'x',
        duration: '10s',
        agents: { reconnect: { initial: '1s', jitter: 'full' }, http: 'per-agent', httpConnections: 8 },
        peers: { perAgent: 1, reconnect: { max: '2s' } },
      },
      'x',
    );
    expect(s.agents.reconnect).toEqual({ initial: 1_000, max: 10_000, jitter: 'full' });
    expect(s.agents.http).toBe('per-agent');
    expect(s.agents.httpConnections).toBe(8);
    expect(s.peers?.reconnect).toEqual({ initial: 50, max: 2_000, jitter: 'none' });
    expect(
      issuesOf({
        name: 'x',
        duration: '10s',
        agents: { reconnect: { initial: '0s', jitter: 'half' }, http: 'pooled', httpConnections: 0 },
        peers: { perAgent: 1, reconnect: { initial: '5s', max: '1s' } },
      }),
    ).toEqual([
      'agents.reconnect.jitter: expected "none" or "full", got "half"',
      'agents.http: expected "auto" or "per-agent" or "shared", got "pooled"',
      'agents.httpConnections: must be >= 1, got 0',
      'agents.reconnect.initial: must be longer than 0s, e.g. "100ms"',
      'peers.reconnect.max: 1s is below initial (5s); raise it or lower initial',
    ]);
  });

  it('rejects an empty phase list and an empty or zero-weight REST mix', () => {
    expect(issuesOf({ name: 'x', duration: '10s', agents: { phases: [] }, rest: { mix: {} } })).toEqual([
      'agents.phases: must not be empty',
      'rest.mix: name at least one endpoint, e.g. { "GET /me/metadata": 1 }',
    ]);
    expect(issuesOf({ name: 'x', duration: '10s', rest: { mix: { 'GET /{id}': 0 } } })).toEqual(['rest.mix: the weights must sum to more than 0']);
  });

  it('parses each threshold with the metrics threshold parser', () => {
    const issues = issuesOf({ name: 'x', duration: '1s', thresholds: ['p99(POST /me/report-stats) < 500ms', 'lost == 0', 'bogus < 1'] });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^thresholds\[2\]: threshold "bogus < 1": column 1: unknown metric "bogus"/);
  });

  it('takes an observe section: a valid metrics address, allowSaturated defaulting to false', () => {
    const s = validateScenario({ name: 'o', duration: '5s', observe: { metricsAddr: '127.0.0.1:9464' } }, 'x');
    expect(s.observe).toEqual({ metricsAddr: '127.0.0.1:9464', allowSaturated: false });
    expect(validateScenario({ name: 'o', duration: '5s' }, 'x').observe).toBeUndefined();
    expect(issuesOf({ name: 'o', duration: '5s', observe: { metricsAddr: 'nope:x', allowSaturated: 'yes' } })).toEqual([
      expect.stringMatching(/^observe\.metricsAddr: invalid metrics address "nope:x": the port must be a number/),
      expect.stringMatching(/^observe\.allowSaturated: /),
    ]);
  });

  it('takes sourceAddresses as a comma list or an array, and lists a malformed one with its path', () => {
    expect(validateScenario({ name: 's', duration: '5s', sourceAddresses: '127.0.0.2-3' }, 'x').sourceAddresses).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(validateScenario({ name: 's', duration: '5s', sourceAddresses: ['10.0.0.5', 'fd00::1'] }, 'x').sourceAddresses).toEqual(['10.0.0.5', 'fd00::1']);
    expect(validateScenario({ name: 's', duration: '5s' }, 'x').sourceAddresses).toBeUndefined();
    expect(issuesOf({ name: 's', duration: '5s', sourceAddresses: '127.0.0.2,127.0.0.2' })).toEqual(['sourceAddresses: 127.0.0.2 is listed twice']);
    expect(issuesOf({ name: 's', duration: '5s', sourceAddresses: 5 })).toEqual([
      expect.stringMatching(/^sourceAddresses: expected addresses like "127\.0\.0\.2-9"/),
    ]);
  });

  it('accepts semver versions with pre-release and build parts', () => {
    for (const version of ['v0.15.3', 'v2.0.0-rc.1', 'v1.2.3+build.5']) {
      expect(validateScenario({ name: 'x', duration: '1s', agents: { version } }, 'x').agents.version).toBe(version);
    }
    expect(issuesOf({ name: 'x', duration: '1s', agents: { version: 'v1.2' } })).toHaveLength(1);
  });
});
