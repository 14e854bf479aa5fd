import { formatGoTime } from '../protocol/go-time.js';
import type { TailnetNode } from '../protocol/tailnet-node.js';
import type { AgentRecord } from './store.js';

/**
 * The codersdk.WorkspaceAgent object of protocol §6: the status algorithm and the JSON shape in Go
 * field order with Go's omitempty rules.
 */
export type AgentStatus = 'connecting' | 'connected' | 'disconnected' | 'timeout';

export interface StatusResult {
  status: AgentStatus;
  /** The disconnected_at to show (rule 3 replaces it with last_connected_at). */
  disconnectedAt?: number;
}

/** Protocol §6 status rules, first match wins. `now` is epoch ms. */
export function computeStatus(agent: AgentRecord, now: number, inactiveMs: number): StatusResult {
  if (agent.firstConnectedAt === undefined) {
    const timeoutMs = agent.connectionTimeoutSeconds * 1000;
    if (agent.connectionTimeoutSeconds > 0 && now - agent.createdAt > timeoutMs) return { status: 'timeout', disconnectedAt: agent.disconnectedAt };
    return { status: 'connecting', disconnectedAt: agent.disconnectedAt };
  }
  const last = agent.lastConnectedAt ?? Number.NEGATIVE_INFINITY;
  if ((agent.disconnectedAt ?? Number.NEGATIVE_INFINITY) > last) return { status: 'disconnected', disconnectedAt: agent.disconnectedAt };
  if (agent.lastConnectedAt !== undefined && now - agent.lastConnectedAt > inactiveMs) {
    return { status: 'disconnected', disconnectedAt: agent.lastConnectedAt };
  }
  if (agent.lastConnectedAt !== undefined) return { status: 'connected', disconnectedAt: agent.disconnectedAt };
  return { status: '' as AgentStatus, disconnectedAt: agent.disconnectedAt };
}

/** codersdk.WorkspaceApp in Go field order. */
export function renderApps(agent: AgentRecord): unknown[] {
  return agent.apps.map((app) => ({
    id: app.id,
    url: app.url,
    external: false,
    slug: app.slug,
    display_name: app.displayName,
    icon: app.icon || undefined,
    subdomain: false,
    sharing_level: app.sharingLevel,
    healthcheck: app.healthcheck
      ? { url: app.healthcheck.url, interval: app.healthcheck.interval, threshold: app.healthcheck.threshold }
      : { url: '', interval: 0, threshold: 0 },
    health: agent.appHealth.get(app.id) ?? 'disabled',
  }));
}

export type LatencyResult = { ok: true; latency?: Record<string, { preferred: boolean; latency_ms: number }> } | { ok: false; detail: string };

/**
 * `latency` from the coordinator's current node (protocol §6): region id = text before the first
 * `-`, keyed by the DERP map's region name, seconds → ms, `preferred` = the node's home region.
 * A non-integer prefix fails the request (500), as in coderd.
 */
export function renderLatency(node: TailnetNode | undefined, regionName: (id: number) => string): LatencyResult {
  if (!node?.derp_latency) return { ok: true };
  const out: Record<string, { preferred: boolean; latency_ms: number }> = {};
  let any = false;
  for (const raw of Object.keys(node.derp_latency)) {
    const dash = raw.indexOf('-');
    const prefix = dash === -1 ? raw : raw.slice(0, dash);
    if (!/^[+-]?\d+$/.test(prefix)) {
      return { ok: false, detail: `convert derp region id "${raw}": strconv.Atoi: parsing "${prefix}": invalid syntax` };
    }
    const id = Number(prefix);
    out[regionName(id)] = { preferred: id === node.preferred_derp, latency_ms: (node.derp_latency[raw] as number) * 1000 };
    any = true;
  }
  if (!any) return { ok: true };
  // Go encodes map keys sorted.
  const sorted: typeof out = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key] as (typeof out)[string];
  return { ok: true, latency: sorted };
}

const time = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : formatGoTime(ms));

/** The WorkspaceAgent object, keys in Go order; `undefined` values are dropped (omitempty). */
export function renderAgent(agent: AgentRecord, status: StatusResult, latency: LatencyResult & { ok: true }): Record<string, unknown> {
  return {
    id: agent.id,
    created_at: formatGoTime(agent.createdAt),
    updated_at: formatGoTime(agent.updatedAt),
    first_connected_at: time(agent.firstConnectedAt),
    last_connected_at: time(agent.lastConnectedAt),
    disconnected_at: time(status.disconnectedAt),
    status: status.status,
    lifecycle_state: agent.lifecycleState,
    name: agent.name,
    resource_id: agent.resourceId,
    instance_id: agent.instanceId || undefined,
    architecture: agent.architecture,
    environment_variables: agent.environmentVariables,
    operating_system: agent.operatingSystem,
    startup_script: agent.startupScript || undefined,
    directory: agent.directory || undefined,
    version: agent.version,
    apps: renderApps(agent),
    latency: latency.latency,
    connection_timeout_seconds: agent.connectionTimeoutSeconds,
    troubleshooting_url: agent.troubleshootingUrl,
    login_before_ready: agent.loginBeforeReady,
    startup_script_timeout_seconds: agent.startupScriptTimeoutSeconds,
  };
}
