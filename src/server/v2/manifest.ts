import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import type { DERPMap as JsonDerpMap } from '../../protocol/derp-map.js';
import {
  ManifestSchema,
  WorkspaceAgentMetadata_DescriptionSchema,
  WorkspaceAgentScriptSchema,
  WorkspaceApp_Health,
  WorkspaceApp_HealthcheckSchema,
  WorkspaceApp_SharingLevel,
  WorkspaceAppSchema,
  type Manifest,
} from '../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { DERPMap_Region_NodeSchema, DERPMap_RegionSchema, DERPMapSchema, type DERPMap } from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { metadataSecondsToDuration } from '../../protocol/v2/messages.js';
import { GIT_AUTH_PROVIDERS } from '../fixtures.js';
import type { ServerState } from '../state.js';
import type { AgentRecord, AppHealth } from '../store.js';
import { uuidToBytes } from './go-format.js';

/**
 * GetManifest (docs/protocol-v2.md §5.1) from the same fixtures the v1 /me/metadata renders.
 * What the Go agent refuses is avoided by construction: 16-byte ids, every app with a
 * healthcheck message and a known sharing level and health, every script with a log source id,
 * `derp_map.home_params` present.
 */

const HEALTH: Record<AppHealth, WorkspaceApp_Health> = {
  disabled: WorkspaceApp_Health.DISABLED,
  initializing: WorkspaceApp_Health.INITIALIZING,
  healthy: WorkspaceApp_Health.HEALTHY,
  unhealthy: WorkspaceApp_Health.UNHEALTHY,
};

const SHARING: Record<string, WorkspaceApp_SharingLevel> = {
  owner: WorkspaceApp_SharingLevel.OWNER,
  authenticated: WorkspaceApp_SharingLevel.AUTHENTICATED,
  public: WorkspaceApp_SharingLevel.PUBLIC,
};

/** A stable UUID for a fixture-derived row (the legacy startup script and its log source). */
export function derivedUuid(label: string): string {
  const hex = createHash('sha256').update(label).digest('hex');
  // Version 4 / RFC 4122 variant bits, so it reads as an ordinary random UUID.
  const v = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${v}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The agent's start script as coderd migrated it: one script row with its own log source. */
export function startupScriptIds(agent: AgentRecord): { id: string; logSourceId: string } {
  return { id: derivedUuid(`${agent.id}/startup-script`), logSourceId: derivedUuid(`${agent.id}/startup-script/log-source`) };
}

/** tailnet.DERPMapToProto: region keys and ids as int64, home_params always set. */
export function derpMapToProto(map: JsonDerpMap | undefined): DERPMap {
  const regions: DERPMap['regions'] = {};
  for (const [key, region] of Object.entries(map?.Regions ?? {})) {
    regions[key] = create(DERPMap_RegionSchema, {
      regionId: BigInt(region.RegionID),
      embeddedRelay: region.EmbeddedRelay,
      regionCode: region.RegionCode,
      regionName: region.RegionName,
      avoid: region.Avoid ?? false,
      nodes: region.Nodes.map((n) =>
        create(DERPMap_Region_NodeSchema, {
          name: n.Name,
          regionId: BigInt(n.RegionID),
          hostName: n.HostName,
          certName: n.CertName ?? '',
          ipv4: n.IPv4 ?? '',
          ipv6: n.IPv6 ?? '',
          stunPort: n.STUNPort ?? 0,
          stunOnly: n.STUNOnly ?? false,
          derpPort: n.DERPPort ?? 0,
          insecureForTests: n.InsecureForTests ?? false,
          forceHttp: n.ForceHTTP ?? false,
          stunTestIp: n.STUNTestIP ?? '',
        }),
      ),
    });
  }
  return create(DERPMapSchema, { homeParams: { regionScore: {} }, regions });
}

/** coderd's vscodeProxyURI: empty without a wildcard app hostname (unlike v1's `:<port>`). */
function vsCodePortProxyUri(s: ServerState, agent: AgentRecord): string {
  if (!s.opts.appHostname) return '';
  const scheme = s.accessUrl.protocol.replace(/:$/, '');
  return `${scheme}://${s.opts.appHostname.replace('*', `{{port}}--${agent.name}--${agent.workspaceName}--${s.user.username}`)}`;
}

export function buildManifest(s: ServerState, agent: AgentRecord): Manifest {
  const scripts = [];
  if (agent.startupScript) {
    const ids = startupScriptIds(agent);
    scripts.push(
      create(WorkspaceAgentScriptSchema, {
        id: uuidToBytes(ids.id),
        logSourceId: uuidToBytes(ids.logSourceId),
        logPath: '',
        script: agent.startupScript,
        runOnStart: true,
        startBlocksLogin: !agent.loginBeforeReady,
        timeout: create(DurationSchema, { seconds: BigInt(agent.startupScriptTimeoutSeconds) }),
        displayName: 'Startup Script',
      }),
    );
  }
  const apps = agent.apps.map((app) =>
    create(WorkspaceAppSchema, {
      id: uuidToBytes(app.id),
      url: app.url,
      external: false,
      slug: app.slug,
      displayName: app.displayName,
      icon: app.icon,
      subdomain: false,
      sharingLevel: SHARING[app.sharingLevel] ?? WorkspaceApp_SharingLevel.OWNER,
      // Always present (the Go agent dereferences it); no healthcheck = empty url.
      healthcheck: create(WorkspaceApp_HealthcheckSchema, {
        url: app.healthcheck?.url ?? '',
        interval: create(DurationSchema, { seconds: BigInt(app.healthcheck?.interval ?? 0) }),
        threshold: app.healthcheck?.threshold ?? 0,
      }),
      health: HEALTH[agent.appHealth.get(app.id) ?? 'disabled'],
    }),
  );
  return create(ManifestSchema, {
    agentId: uuidToBytes(agent.id),
    agentName: agent.name,
    ownerUsername: s.user.username,
    workspaceId: uuidToBytes(agent.workspaceId),
    workspaceName: agent.workspaceName,
    gitAuthConfigs: GIT_AUTH_PROVIDERS.length,
    environmentVariables: agent.environmentVariables ?? {},
    directory: agent.directory,
    vsCodePortProxyUri: vsCodePortProxyUri(s, agent),
    motdPath: agent.motdFile,
    disableDirectConnections: false,
    derpForceWebsockets: false,
    derpMap: derpMapToProto(s.derpMap as JsonDerpMap | undefined),
    scripts,
    apps,
    // The template's descriptions; interval and timeout in the seconds-in-nanos form (docs/protocol-v2.md §5.1).
    metadata: s.opts.metadata.map((d) =>
      create(WorkspaceAgentMetadata_DescriptionSchema, {
        key: d.key,
        displayName: d.displayName,
        script: d.script,
        interval: metadataSecondsToDuration(d.intervalSeconds),
        timeout: metadataSecondsToDuration(d.timeoutSeconds),
      }),
    ),
    devcontainers: [],
    secrets: [],
  });
}
