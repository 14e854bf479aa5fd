import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { manifestProblems } from '../../../src/protocol/v2/manifest-check.js';
import { agentpb, uuidToBytes } from '../../../src/protocol/v2/messages.js';

const ID = uuidToBytes('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');

function goodManifest(): agentpb.Manifest {
  return create(agentpb.ManifestSchema, {
    agentId: ID,
    workspaceId: ID,
    derpMap: { homeParams: {}, regions: {} },
    scripts: [{ logSourceId: ID }],
    apps: [
      {
        id: ID,
        healthcheck: {},
        sharingLevel: agentpb.WorkspaceApp_SharingLevel.OWNER,
        health: agentpb.WorkspaceApp_Health.DISABLED,
      },
    ],
  });
}

describe('manifestProblems (what the Go agent refuses)', () => {
  it('accepts a complete manifest', () => {
    expect(manifestProblems(goodManifest())).toEqual([]);
  });

  it('lists every problem with its field path', () => {
    const m = goodManifest();
    m.agentId = new Uint8Array(16);
    m.workspaceId = new Uint8Array(0);
    m.derpMap!.homeParams = undefined;
    m.scripts[0]!.logSourceId = new Uint8Array(3);
    const app = m.apps[0]!;
    app.id = new Uint8Array(0);
    app.healthcheck = undefined;
    app.sharingLevel = agentpb.WorkspaceApp_SharingLevel.SHARING_LEVEL_UNSPECIFIED;
    app.health = 9 as agentpb.WorkspaceApp_Health;
    expect(manifestProblems(m)).toEqual([
      'agent_id: nil UUID',
      'workspace_id: want 16 bytes, got 0',
      'derp_map.home_params: missing',
      'scripts[0].log_source_id: want 16 bytes, got 3',
      'apps[0].id: want 16 bytes, got 0',
      'apps[0].healthcheck: missing',
      'apps[0].sharing_level: unknown value 0',
      'apps[0].health: unknown value 9',
    ]);
  });

  it('flags a missing DERP map and a short agent id', () => {
    const m = goodManifest();
    m.derpMap = undefined;
    m.agentId = new Uint8Array(15);
    expect(manifestProblems(m)).toEqual(['agent_id: want 16 bytes, got 15', 'derp_map: missing']);
  });
});
