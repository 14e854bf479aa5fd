import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { DurationSchema, EmptySchema, timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AppHealth,
  BatchCreateLogsRequestSchema,
  BatchCreateLogsResponseSchema,
  BatchUpdateAppHealthRequestSchema,
  BatchUpdateAppHealthResponseSchema,
  BatchUpdateMetadataRequestSchema,
  BatchUpdateMetadataResponseSchema,
  Connection_Action,
  Connection_Type,
  GetAnnouncementBannersRequestSchema,
  GetAnnouncementBannersResponseSchema,
  GetManifestRequestSchema,
  GetResourcesMonitoringConfigurationRequestSchema,
  GetResourcesMonitoringConfigurationResponseSchema,
  GetServiceBannerRequestSchema,
  Lifecycle_State,
  LifecycleSchema,
  ManifestSchema,
  PushResourcesMonitoringUsageRequestSchema,
  PushResourcesMonitoringUsageResponseSchema,
  ReportConnectionRequestSchema,
  ServiceBannerSchema,
  Startup_Subsystem,
  StartupSchema,
  UpdateLifecycleRequestSchema,
  UpdateStartupRequestSchema,
  UpdateStatsRequestSchema,
  UpdateStatsResponseSchema,
  WorkspaceAgentScriptCompletedRequestSchema,
  WorkspaceAgentScriptCompletedResponseSchema,
} from '../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { isValidGoSemver } from '../semver.js';
import type { ServerState } from '../state.js';
import { dbTime, type AgentRecord, type AppHealth as DbAppHealth, type LifecycleState } from '../store.js';
import { agentV2 } from './agent-state.js';
import { goQuoteBytes, goQuoteEnum, NIL_UUID, uuidFromBytes } from './go-format.js';
import { buildManifest } from './manifest.js';

/**
 * coderd's handlers for the Agent service (docs/protocol-v2.md §5) over decoded messages: the
 * validation, the error texts (dRPC code 0 unless stated) and the store writes. The session
 * layer (agent-session.ts) decodes, counts `calls`/`errors` and encodes; handlers count the
 * details of what they accepted.
 */

/** A handler failure sent as a dRPC Error packet. */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code = 0,
  ) {
    super(message);
  }
}

/** drpcerr.Unimplemented. */
export const UNIMPLEMENTED = 12;

export interface AgentRpcContext {
  s: ServerState;
  agent: AgentRecord;
  /** The negotiated `version` of this /me/rpc session (UpdateStartup stores it). */
  apiVersion: string;
}

export interface UnaryMethod<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage> {
  /** Method name without the service, e.g. `UpdateStats` (the counters' key). */
  name: string;
  input: I;
  output: O;
  handle(ctx: AgentRpcContext, req: MessageShape<I>): MessageShape<O>;
}

function method<I extends DescMessage, O extends DescMessage>(
  name: string,
  input: I,
  output: O,
  handle: (ctx: AgentRpcContext, req: MessageShape<I>) => MessageShape<O>,
): UnaryMethod {
  return { name, input, output, handle } as unknown as UnaryMethod;
}

const LIFECYCLE: Partial<Record<Lifecycle_State, LifecycleState>> = {
  [Lifecycle_State.CREATED]: 'created',
  [Lifecycle_State.STARTING]: 'starting',
  [Lifecycle_State.START_TIMEOUT]: 'start_timeout',
  [Lifecycle_State.START_ERROR]: 'start_error',
  [Lifecycle_State.READY]: 'ready',
  [Lifecycle_State.SHUTTING_DOWN]: 'shutting_down',
  [Lifecycle_State.SHUTDOWN_TIMEOUT]: 'shutdown_timeout',
  [Lifecycle_State.SHUTDOWN_ERROR]: 'shutdown_error',
  [Lifecycle_State.OFF]: 'off',
};

const APP_HEALTH: Partial<Record<AppHealth, DbAppHealth>> = {
  [AppHealth.DISABLED]: 'disabled',
  [AppHealth.INITIALIZING]: 'initializing',
  [AppHealth.HEALTHY]: 'healthy',
  [AppHealth.UNHEALTHY]: 'unhealthy',
};

const SUBSYSTEM: Partial<Record<Startup_Subsystem, string>> = {
  [Startup_Subsystem.ENVBOX]: 'envbox',
  [Startup_Subsystem.ENVBUILDER]: 'envbuilder',
  [Startup_Subsystem.EXECTRACE]: 'exectrace',
};

/** Go's zero time.Time as a Timestamp (year 1). */
const GO_ZERO_SECONDS = -62135596800n;

const MAX_ALL_KEYS = 6144;
const MAX_VALUE = 2048;
/** The `max_logs_length` constraint: total stored output per agent. */
export const MAX_LOGS_LENGTH = 1_048_576;
const EXTERNAL_LOG_SOURCE = '3b579bf4-1ed8-4b99-87a8-e9a1e3410410';

const byteLength = (text: string): number => Buffer.byteLength(text);

function durationOfMs(ms: number): MessageShape<typeof DurationSchema> {
  const whole = Math.floor(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) });
}

export const AGENT_METHODS: readonly UnaryMethod[] = [
  method('GetManifest', GetManifestRequestSchema, ManifestSchema, (ctx) => buildManifest(ctx.s, ctx.agent)),

  // The default (AGPL) appearance has no banners.
  method('GetServiceBanner', GetServiceBannerRequestSchema, ServiceBannerSchema, () => create(ServiceBannerSchema, { enabled: false })),
  method('GetAnnouncementBanners', GetAnnouncementBannersRequestSchema, GetAnnouncementBannersResponseSchema, () =>
    create(GetAnnouncementBannersResponseSchema, { announcementBanners: [] }),
  ),

  method('UpdateStats', UpdateStatsRequestSchema, UpdateStatsResponseSchema, (ctx, req) => {
    const counters = ctx.s.store.count(ctx.agent).v2;
    // An absent `stats` is the agent asking for the interval; an empty one is a real report.
    const stats = req.stats;
    if (stats === undefined) counters.statsIntervalOnly++;
    else {
      counters.statsReports++;
      const map: Record<string, number> = {};
      for (const [kind, n] of Object.entries(stats.sessionCounts)) map[kind] = Number(n);
      counters.lastSessionCounts = {
        fields: {
          vscode: Number(stats.sessionCountVscode),
          jetbrains: Number(stats.sessionCountJetbrains),
          reconnecting_pty: Number(stats.sessionCountReconnectingPty),
          ssh: Number(stats.sessionCountSsh),
        },
        map,
      };
    }
    return create(UpdateStatsResponseSchema, { reportInterval: durationOfMs(ctx.s.opts.reportIntervalMs) });
  }),

  method('UpdateLifecycle', UpdateLifecycleRequestSchema, LifecycleSchema, (ctx, req) => {
    const lifecycle = req.lifecycle ?? create(LifecycleSchema);
    const state = LIFECYCLE[lifecycle.state];
    // coderd checks no order of states (docs/protocol-v2.md §5.3): only the value itself.
    if (!state) throw new RpcError(`unknown lifecycle state ${goQuoteEnum(Lifecycle_State, lifecycle.state)}`);
    const now = dbTime(ctx.s.wallNow());
    const at = lifecycle.changedAt;
    if (!at || (at.seconds === 0n && at.nanos === 0) || (at.seconds === GO_ZERO_SECONDS && at.nanos === 0)) {
      lifecycle.changedAt = timestampFromMs(now);
    }
    const changedAt = Number(lifecycle.changedAt!.seconds) * 1000 + lifecycle.changedAt!.nanos / 1e6;
    const agent = ctx.agent;
    const v2 = agentV2(agent);
    if (state === 'starting') {
      v2.startedAt = changedAt;
      v2.readyAt = undefined;
    } else if (state === 'ready' || state === 'start_timeout' || state === 'start_error') {
      v2.startedAt ??= changedAt;
      v2.readyAt = changedAt;
    }
    agent.lifecycleState = state;
    agent.revision++;
    ctx.s.store.count(agent).v2.lifecycleStates.push(state);
    return lifecycle;
  }),

  method('BatchUpdateAppHealths', BatchUpdateAppHealthRequestSchema, BatchUpdateAppHealthResponseSchema, (ctx, req) => {
    const agent = ctx.agent;
    const changes: [string, DbAppHealth][] = [];
    // Every update is checked before anything is written; one failure refuses the batch.
    for (const update of req.updates) {
      const id = uuidFromBytes(update.id);
      if (!id.ok) throw new RpcError(`parse workspace app ID ${goQuoteBytes(update.id)}: ${id.error}`);
      const app = agent.apps.find((a) => a.id === id.uuid);
      if (!app) throw new RpcError(`workspace app ID "${id.uuid}" not found`);
      if (!app.healthcheck) throw new RpcError(`workspace app "${id.uuid}" ("${app.slug}") does not have healthchecks enabled`);
      const health = APP_HEALTH[update.health];
      if (!health) throw new RpcError(`unknown health status ${goQuoteEnum(AppHealth, update.health)} for app "${id.uuid}" ("${app.slug}")`);
      changes.push([id.uuid, health]);
    }
    let changed = false;
    for (const [id, health] of changes) {
      if (agent.appHealth.get(id) === health) continue;
      agent.appHealth.set(id, health);
      changed = true;
    }
    if (changed) agent.revision++;
    ctx.s.store.count(agent).v2.appHealthUpdates += changes.length;
    return create(BatchUpdateAppHealthResponseSchema);
  }),

  method('UpdateStartup', UpdateStartupRequestSchema, StartupSchema, (ctx, req) => {
    const startup = req.startup ?? create(StartupSchema);
    if (!isValidGoSemver(startup.version)) throw new RpcError(`invalid agent semver version "${startup.version}"`);
    const seen = new Set<string>();
    for (const sub of startup.subsystems) {
      const name = SUBSYSTEM[sub];
      if (!name) throw new RpcError(`invalid agent subsystem ${goQuoteEnum(Startup_Subsystem, sub)}`);
      seen.add(name);
    }
    const agent = ctx.agent;
    const v2 = agentV2(agent);
    agent.version = startup.version;
    v2.expandedDirectory = startup.expandedDirectory;
    v2.subsystems = [...seen].sort();
    v2.apiVersion = ctx.apiVersion;
    agent.revision++;
    return startup;
  }),

  method('BatchUpdateMetadata', BatchUpdateMetadataRequestSchema, BatchUpdateMetadataResponseSchema, (ctx, req) => {
    const v2 = agentV2(ctx.agent);
    const collectedAt = dbTime(ctx.s.wallNow()); // the agent's collected_at is ignored (clock skew)
    let keys = 0;
    let stored = 0;
    for (const md of req.metadata) {
      keys += byteLength(md.key);
      // Keys past the limit are dropped, the earlier ones still stored, then the call fails.
      if (keys > MAX_ALL_KEYS) break;
      let value = md.result?.value ?? '';
      let error = md.result?.error ?? '';
      const valueBytes = byteLength(value);
      if (valueBytes > MAX_VALUE) {
        error = `value of ${valueBytes} bytes exceeded ${MAX_VALUE} bytes`;
        value = Buffer.from(value).subarray(0, MAX_VALUE).toString();
      }
      const errorBytes = byteLength(md.result?.error ?? '');
      if (errorBytes > MAX_VALUE) error = `error of ${errorBytes} bytes exceeded ${MAX_VALUE} bytes`;
      v2.metadata.set(md.key, { value, error, collectedAt });
      const byKey = ctx.s.store.count(ctx.agent).v2.metadataByKey;
      byKey[md.key] = (byKey[md.key] ?? 0) + 1;
      stored++;
    }
    ctx.s.store.count(ctx.agent).v2.metadataKeys += stored;
    if (keys > MAX_ALL_KEYS) {
      // N is the sum over every key of the request (docs/protocol-v2.md §5.6); the coderd
      // source read stops summing at the first key past the limit, so its N can be smaller.
      let all = 0;
      for (const md of req.metadata) all += byteLength(md.key);
      throw new RpcError(`metadata keys of ${all} bytes exceeded ${MAX_ALL_KEYS} bytes`);
    }
    return create(BatchUpdateMetadataResponseSchema);
  }),

  method('BatchCreateLogs', BatchCreateLogsRequestSchema, BatchCreateLogsResponseSchema, (ctx, req) => {
    const v2 = agentV2(ctx.agent);
    const counters = ctx.s.store.count(ctx.agent).v2;
    if (v2.logsOverflowed) {
      counters.logLimitExceeded++;
      return create(BatchCreateLogsResponseSchema, { logLimitExceeded: true });
    }
    if (req.logs.length === 0) return create(BatchCreateLogsResponseSchema);
    const source = uuidFromBytes(req.logSourceId);
    if (!source.ok) throw new RpcError(`parse log source ID ${goQuoteBytes(req.logSourceId)}: ${source.error}`);
    let length = 0;
    for (const log of req.logs) length += byteLength(log.output);
    // The batch that would cross the per-agent limit is refused whole and marks the overflow.
    if (v2.logsLength + length > MAX_LOGS_LENGTH) {
      v2.logsOverflowed = true;
      counters.logLimitExceeded++;
      return create(BatchCreateLogsResponseSchema, { logLimitExceeded: true });
    }
    v2.logSources.add(source.uuid === NIL_UUID ? EXTERNAL_LOG_SOURCE : source.uuid);
    v2.logsLength += length;
    counters.logLines += req.logs.length;
    counters.logBytes += length;
    return create(BatchCreateLogsResponseSchema);
  }),

  method('ScriptCompleted', WorkspaceAgentScriptCompletedRequestSchema, WorkspaceAgentScriptCompletedResponseSchema, (ctx, req) => {
    const id = uuidFromBytes(req.timing?.scriptId ?? new Uint8Array());
    if (!id.ok) throw new RpcError(`script id from bytes: ${id.error}`);
    ctx.s.store.count(ctx.agent).v2.scriptsCompleted++;
    return create(WorkspaceAgentScriptCompletedResponseSchema);
  }),

  // No resource monitors are configured for the fixtures' templates.
  method('GetResourcesMonitoringConfiguration', GetResourcesMonitoringConfigurationRequestSchema, GetResourcesMonitoringConfigurationResponseSchema, () =>
    create(GetResourcesMonitoringConfigurationResponseSchema, { config: { numDatapoints: 20, collectionIntervalSeconds: 10 }, volumes: [] }),
  ),
  method('PushResourcesMonitoringUsage', PushResourcesMonitoringUsageRequestSchema, PushResourcesMonitoringUsageResponseSchema, () =>
    create(PushResourcesMonitoringUsageResponseSchema),
  ),

  method('ReportConnection', ReportConnectionRequestSchema, EmptySchema, (ctx, req) => {
    const connection = req.connection;
    const id = uuidFromBytes(connection?.id ?? new Uint8Array());
    if (!id.ok) throw new RpcError(`connection id from bytes: ${id.error}`);
    if (id.uuid === NIL_UUID) throw new RpcError('connection ID cannot be nil');
    const action = connection?.action ?? Connection_Action.ACTION_UNSPECIFIED;
    if (action !== Connection_Action.CONNECT && action !== Connection_Action.DISCONNECT) {
      throw new RpcError(`unknown agent connection action ${goQuoteEnum(Connection_Action, action)}`);
    }
    const type = connection?.type ?? Connection_Type.TYPE_UNSPECIFIED;
    if (!(type in Connection_Type) || (type === Connection_Type.TYPE_UNSPECIFIED && !connection?.appName)) {
      throw new RpcError(`unknown agent connection type ${goQuoteEnum(Connection_Type, type)}`);
    }
    ctx.s.store.count(ctx.agent).v2.connectionReports++;
    return create(EmptySchema);
  }),
];

/** Method name → method, for the router. */
export const AGENT_METHOD_BY_NAME: ReadonlyMap<string, UnaryMethod> = new Map(AGENT_METHODS.map((m) => [m.name, m]));
