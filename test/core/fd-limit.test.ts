import { describe, expect, it } from 'vitest';
import { openFilesSoftLimit, parseOpenFilesLimit } from '../../src/core/fd-limit.js';

describe('open-files limit', () => {
  const LIMITS = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max open files            20000                20000                files     ',
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

  it('reads the soft limit from /proc/self/limits text', () => {
    expect(parseOpenFilesLimit(LIMITS)).toBe(20_000);
    expect(parseOpenFilesLimit(LIMITS.replace('20000                20000', '1024                 524288'))).toBe(1024);
    expect(parseOpenFilesLimit(LIMITS.replace('20000                20000', 'unlimited            unlimited'))).toBeUndefined();
    expect(parseOpenFilesLimit('nothing here')).toBeUndefined();
  });

  it('gives up quietly when the file cannot be read', () => {
    expect(
      openFilesSoftLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    if (process.platform === 'linux') expect(openFilesSoftLimit(() => LIMITS)).toBe(20_000);
  });
});
