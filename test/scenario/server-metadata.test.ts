import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { validateScenario } from '../../src/scenario/load.js';
import { toAgentMetadata } from '../../src/scenario/server-metadata.js';

const base = { name: 'metadata', duration: '10s' };

function issuesOf(metadata: unknown): readonly string[] {
  try {
    validateScenario({ ...base, server: { metadata } }, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).code).toBe('bad_scenario');
    return (error as FleetsimError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('server.metadata', () => {
  it('is absent by default (the server then uses its own two) and accepts durations, filling defaults', () => {
    expect(validateScenario(base, 'x').server?.metadata).toBeUndefined();
    const s = validateScenario(
      {
        ...base,
        server: {
          metadata: [
            { key: 'disk', displayName: 'Disk', script: 'df -h', interval: '1m', timeout: 5000 },
            { key: 'load', interval: '0s' },
          ],
        },
      },
      'x',
    );
    expect(s.server?.metadata).toEqual([
      { key: 'disk', displayName: 'Disk', script: 'df -h', interval: 60_000, timeout: 5_000 },
      { key: 'load', script: '', interval: 0, timeout: 1_000 },
    ]);
    expect(toAgentMetadata(s.server?.metadata ?? [])).toEqual([
      { key: 'disk', displayName: 'Disk', script: 'df -h', intervalSeconds: 60, timeoutSeconds: 5 },
      { key: 'load', displayName: 'load', script: '', intervalSeconds: 0, timeoutSeconds: 1 },
    ]);
  });

  it('accepts an empty list (no metadata in the manifest)', () => {
    expect(validateScenario({ ...base, server: { metadata: [] } }, 'x').server?.metadata).toEqual([]);
  });

  it('lists every problem at its path: whole seconds, negative or missing durations, empty, unknown and repeated keys', () => {
    expect(
      issuesOf([
        { key: 'a', interval: '1500ms' },
        { key: 'a', interval: '2s', timeout: '-1s', tiemout: '1s' },
        { key: '', displayName: 3 },
        { key: 'b', interval: '1s' },
        { key: 'b', interval: '1s' },
      ]),
    ).toEqual([
      'server.metadata[0].interval: must be whole seconds (coderd stores seconds), e.g. "10s", got 1500 ms',
      'server.metadata[1].timeout: expected a duration like "30s", got "-1s" (durations cannot be negative)',
      'server.metadata[1].tiemout: unknown key (did you mean "timeout"?)',
      'server.metadata[2].key: must not be empty',
      'server.metadata[2].displayName: expected a string, got 3',
      'server.metadata[2].interval: required (a duration like "30s")',
      'server.metadata[1].key: repeats the key "a" of metadata[0]',
      'server.metadata[4].key: repeats the key "b" of metadata[3]',
    ]);
  });

  it('must be a list', () => {
    expect(issuesOf({ key: 'a', interval: '1s' })).toEqual(['server.metadata: expected a list, got an object']);
  });
});
