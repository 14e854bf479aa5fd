import { describe, expect, it } from 'vitest';
import { fixtureAgents } from '../../src/server/fixtures.js';
import { AgentStore } from '../../src/server/store.js';

describe('AgentStore.add', () => {
  it('copies every fixture field into the record (listed one by one, not spread)', () => {
    const store = new AgentStore();
    for (const fixture of fixtureAgents('store-test', 0, 20)) {
      const record = store.add(fixture, 1_700_000_000_000.4568);
      for (const [key, value] of Object.entries(fixture)) expect((record as unknown as Record<string, unknown>)[key]).toBe(value);
      expect(Object.keys(record).slice(0, Object.keys(fixture).length)).toEqual(Object.keys(fixture));
      expect(record.createdAt).toBe(1_700_000_000_000.457);
    }
  });
});
