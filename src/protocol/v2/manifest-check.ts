/**
 * What the Go agent refuses in a Manifest (docs/protocol-v2.md §5.1): its converter fails on
 * these, so the agent never gets past GetManifest. The v2 fake agent applies the same checks so
 * a target that sends a manifest a real agent could not use shows up as an error, and the
 * embedded server's tests can prove its manifests pass.
 *
 * The texts are fleetsim's (the Go converter's own messages were not part of the contract).
 */
import { WorkspaceApp_Health, WorkspaceApp_SharingLevel, type Manifest } from './gen/coder/agent/v2/agent_pb.js';
import { isNilUuid } from './uuid-bytes.js';

/** Every problem found, in field order; empty when a Go agent would accept the manifest. */
export function manifestProblems(m: Manifest): string[] {
  const problems: string[] = [];
  if (m.agentId.length !== 16) problems.push(`agent_id: want 16 bytes, got ${m.agentId.length}`);
  else if (isNilUuid(m.agentId)) problems.push('agent_id: nil UUID');
  if (m.workspaceId.length !== 16) problems.push(`workspace_id: want 16 bytes, got ${m.workspaceId.length}`);
  // Stricter than Go (which may accept no map at all): without one the agent cannot join the tailnet.
  if (m.derpMap === undefined) problems.push('derp_map: missing');
  else if (m.derpMap.homeParams === undefined) problems.push('derp_map.home_params: missing');
  m.scripts.forEach((s, i) => {
    if (s.logSourceId.length !== 16) problems.push(`scripts[${i}].log_source_id: want 16 bytes, got ${s.logSourceId.length}`);
  });
  m.apps.forEach((app, i) => {
    if (app.id.length !== 16) problems.push(`apps[${i}].id: want 16 bytes, got ${app.id.length}`);
    if (app.healthcheck === undefined) problems.push(`apps[${i}].healthcheck: missing`);
    if (WorkspaceApp_SharingLevel[app.sharingLevel] === undefined || app.sharingLevel === WorkspaceApp_SharingLevel.SHARING_LEVEL_UNSPECIFIED) {
      problems.push(`apps[${i}].sharing_level: unknown value ${app.sharingLevel}`);
    }
    if (WorkspaceApp_Health[app.health] === undefined || app.health === WorkspaceApp_Health.HEALTH_UNSPECIFIED) {
      problems.push(`apps[${i}].health: unknown value ${app.health}`);
    }
  });
  return problems;
}
