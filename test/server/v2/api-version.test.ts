import { describe, expect, it } from 'vitest';
import { checkApiVersion } from '../../../src/server/v2/api-version.js';

describe('checkApiVersion (apiversion.Validate, docs/protocol-v2.md §1.3)', () => {
  const at = { major: 2, minor: 13 };
  it.each([
    ['2.0', undefined],
    ['2.13', undefined],
    ['+2.013', undefined],
    ['2', 'invalid version string: 2'],
    ['2.1.0', 'invalid version string: 2.1.0'],
    ['x.1', 'invalid major version: x.1'],
    ['2.x', 'invalid minor version: 2.x'],
    ['2.', 'invalid minor version: 2.'],
    ['3.0', 'server is at version 2.13, behind requested major version 3.0'],
    ['2.14', 'server is at version 2.13, behind requested minor version 2.14'],
    ['1.0', 'version 1.0 is no longer supported'],
    ['-1.0', 'version -1.0 is no longer supported'],
    ['99999999999999999999.0', 'invalid major version: 99999999999999999999.0'],
  ])('%s', (version, detail) => {
    const result = checkApiVersion(version, at);
    if (detail === undefined) expect(result.ok).toBe(true);
    else expect(result).toEqual({ ok: false, detail });
  });
});

describe('checkApiVersion with 1.x still served (coderd 2.8–2.12)', () => {
  it('accepts 1.0 and still refuses 0.9 and 3.0', () => {
    expect(checkApiVersion('1.0', { major: 2, minor: 13 }, [1]).ok).toBe(true);
    expect(checkApiVersion('0.9', { major: 2, minor: 13 }, [1])).toEqual({ ok: false, detail: 'version 0.9 is no longer supported' });
    expect(checkApiVersion('3.0', { major: 2, minor: 13 }, [1]).ok).toBe(false);
  });
});

describe('server.protocols option', () => {
  it('defaults to both and refuses unknown or empty lists', async () => {
    const { resolveOptions } = await import('../../../src/server/options.js');
    expect(resolveOptions({}).protocols).toEqual({ v1: true, v2: true });
    expect(resolveOptions({ protocols: ['v2'] }).protocols).toEqual({ v1: false, v2: true });
    expect(() => resolveOptions({ protocols: [] })).toThrow(/server\.protocols: empty/);
    expect(() => resolveOptions({ protocols: ['v3' as 'v1'] })).toThrow(/unknown protocol "v3"/);
  });
});
