import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FROM_SOURCE, ownModule } from '../../src/core/own-module.js';

describe('ownModule (from source)', () => {
  it('knows it runs from source under vitest', () => {
    expect(FROM_SOURCE).toBe(true);
  });

  it('names the .ts file beside a .js specifier and starts it through tsx', () => {
    const base = new URL('../../src/server/server-process.ts', import.meta.url).href;
    const entry = ownModule('./child-entry.js', base);
    expect(entry.path).toBe(fileURLToPath(new URL('../../src/server/child-entry.ts', import.meta.url)));
    expect(entry.execArgv).toEqual(['--import', import.meta.resolve('tsx')]);
  });

  it('takes only .js specifiers, as imports are written', () => {
    expect(() => ownModule('./child-entry.ts', import.meta.url)).toThrow(/\.js specifier/);
  });
});
