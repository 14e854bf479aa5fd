import { describe, expect, it } from 'vitest';
import { fixtureAgents, fixtureUser } from '../../src/server/fixtures.js';
import { filterListeningPorts } from '../../src/server/listening-ports.js';
import { parseGoUuid } from '../../src/server/go-text.js';
import { isValidGoSemver } from '../../src/server/semver.js';
import { startReferenceServer } from '../helpers/loopback.js';

describe('fixtures', () => {
  it('same seed → same fixtures (tokens included), independent of batching', () => {
    expect(fixtureAgents('s', 0, 6)).toEqual([...fixtureAgents('s', 0, 2), ...fixtureAgents('s', 2, 4)]);
    expect(fixtureUser('s')).toEqual(fixtureUser('s'));
    expect(fixtureAgents('t', 0, 3).map((a) => a.token)).not.toEqual(fixtureAgents('s', 0, 3).map((a) => a.token));
  });

  it('has the shapes the server relies on', () => {
    const user = fixtureUser('1');
    expect(`${user.apiKeyId}-${user.apiKeySecret}`).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
    const agents = fixtureAgents('1', 0, 50);
    const ids = new Set<string>();
    let filtered = 0;
    let healthchecked = 0;
    for (const a of agents) {
      for (const id of [a.id, a.token, a.workspaceId, a.resourceId]) {
        expect(parseGoUuid(id)).toEqual({ ok: true, uuid: id });
        ids.add(id);
      }
      expect(a.apps.length).toBeLessThanOrEqual(3);
      expect(a.workspaceName).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const app of a.apps) {
        expect(app.url).toMatch(/^http:\/\/localhost:\d+$/);
        if (app.healthcheck) healthchecked++;
      }
      const kept = filterListeningPorts(
        a.listeningPorts,
        a.apps.map((x) => x.url),
      );
      filtered += a.listeningPorts.length - kept.length;
    }
    expect(ids.size).toBe(200);
    expect(healthchecked).toBeGreaterThan(0);
    expect(filtered).toBeGreaterThan(0); // the filter matters for some agents
  });

  it('two servers with the same seed hand out the same credentials', async () => {
    const a = await startReferenceServer({ agents: 3, seed: 'same' });
    const b = await startReferenceServer({ agents: 1, seed: 'same' });
    try {
      await b.provision(2);
      expect(b.credentials.agents).toEqual(a.credentials.agents);
      expect(b.credentials.userToken).toBe(a.credentials.userToken);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('Go text ports', () => {
  it('parses uuids like google/uuid', () => {
    const id = '3d3e79c8-431b-472e-8464-a99444522ff3';
    for (const form of [id, id.toUpperCase(), id.replaceAll('-', ''), `{${id}}`, `(${id})`, `URN:UUID:${id}`])
      expect(parseGoUuid(form)).toEqual({ ok: true, uuid: id });
    expect(parseGoUuid('abc')).toEqual({ ok: false, error: 'invalid UUID length: 3' });
    expect(parseGoUuid('')).toEqual({ ok: false, error: 'invalid UUID length: 0' });
    expect(parseGoUuid(id.replace('-', 'x'))).toEqual({ ok: false, error: 'invalid UUID format' });
    expect(parseGoUuid(`urn:uuix:${id}`)).toEqual({ ok: false, error: 'invalid urn prefix: "urn:uuix:"' });
    expect(parseGoUuid('é'.repeat(18))).toEqual({ ok: false, error: 'invalid UUID length: 36' });
  });

  it('validates semver like x/mod/semver', () => {
    for (const v of ['v1', 'v1.2', 'v1.2.3', 'v0.15.3-devel+7ad87505', 'v1.2.3-rc.1', 'v1.2.3+build.5']) expect(isValidGoSemver(v), v).toBe(true);
    for (const v of ['', '1.2.3', 'v', 'v1.', 'v01', 'v1.2-pre', 'v1-pre', 'v1.2.3-', 'v1.2.3-01', 'v1.2.3+', 'v1.2.3.4'])
      expect(isValidGoSemver(v), v).toBe(false);
  });
});
