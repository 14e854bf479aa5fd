import { describe, expect, it } from 'vitest';
import { GROUP_NAMES } from '../../src/conform/group-names.js';
import { CONFORM_GROUPS } from '../../src/conform/groups.js';

describe('conform group names', () => {
  it('lists the registered groups, in their run order', () => {
    expect(GROUP_NAMES).toEqual(CONFORM_GROUPS.map((g) => g.name));
  });
});
