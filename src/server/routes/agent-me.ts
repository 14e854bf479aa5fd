import { goQuote, marshalGoJson } from '../../protocol/go-json.js';
import { renderApps } from '../agent-view.js';
import { GIT_AUTH_PROVIDERS } from '../fixtures.js';
import { goQuoteSlice } from '../go-text.js';
import { decodeGoStruct, type StructSpec } from '../http/go-decode.js';
import { fastGoJson, type Exchange } from '../http/reply.js';
import { isValidGoSemver } from '../semver.js';
import type { ServerState } from '../state.js';
import { LIFECYCLE_STATES, type AgentRecord, type AppHealth, type LifecycleState } from '../store.js';

/**
 * The agent-token routes with plain bodies (protocol §5.2–§5.4, §5.6–§5.8). Each handler runs after
 * rate limiting, faults and agent authentication; POST bodies are already read and bounded.
 */
const INVALID_JSON = 'Request body must be valid JSON.';

const VERSION_SPEC: StructSpec = {
  name: 'PostVersionRequest',
  goType: 'agentsdk.PostVersionRequest',
  fields: [{ json: 'version', kind: 'string', goType: 'string' }],
};
const LIFECYCLE_SPEC: StructSpec = {
  name: 'PostLifecycleRequest',
  goType: 'agentsdk.PostLifecycleRequest',
  fields: [{ json: 'state', kind: 'string', goType: 'codersdk.WorkspaceAgentLifecycle' }],
};
const STATS_SPEC: StructSpec = {
  name: 'Stats',
  goType: 'agentsdk.Stats',
  fields: [
    { json: 'conns_by_proto', kind: 'mapStringInt64', goType: 'map[string]int64' },
    { json: 'num_comms', kind: 'int64', goType: 'int64' },
    { json: 'rx_packets', kind: 'int64', goType: 'int64' },
    { json: 'rx_bytes', kind: 'int64', goType: 'int64' },
    { json: 'tx_packets', kind: 'int64', goType: 'int64' },
    { json: 'tx_bytes', kind: 'int64', goType: 'int64' },
  ],
};
const APP_HEALTH_SPEC: StructSpec = {
  name: 'PostAppHealthsRequest',
  goType: 'agentsdk.PostAppHealthsRequest',
  fields: [{ json: 'healths', kind: 'mapUuidString', goType: 'map[uuid.UUID]codersdk.WorkspaceAppHealth' }],
};

const LIFECYCLE_DETAIL_TAIL = `, must be be one of ${goQuoteSlice(LIFECYCLE_STATES)}.`;

const DERP_SLOT = ',"derpmap":null';

/** The DERP map's Go JSON (no newline), encoded once per map object. */
let derpJson: { map: unknown; bytes: Buffer } | undefined;
function derpMapJson(s: ServerState): Buffer {
  const known = derpJson;
  if (known && known.map === s.derpMap) return known.bytes;
  const bytes = Buffer.from(marshalGoJson(s.derpMap));
  derpJson = { map: s.derpMap, bytes };
  return bytes;
}

/** §5.2: cached per agent until something in it changes (app health). */
export function metadata(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  let cached = agent.cache.metadata;
  if (!cached || cached.revision !== agent.revision) {
    // The DERP map is the bulk of the body and the same for every agent: encode the rest with
    // `derpmap: null` and splice the map's JSON (encoded once) in its place. Every string value
    // before it is JSON-escaped, so `"derpmap":null` cannot occur earlier in the text.
    const text = fastGoJson({
      git_auth_configs: GIT_AUTH_PROVIDERS.length,
      vscode_port_proxy_uri: vscodePortProxyUri(s, agent),
      apps: renderApps(agent),
      derpmap: null,
      environment_variables: agent.environmentVariables,
      startup_script: agent.startupScript,
      startup_script_timeout: agent.startupScriptTimeoutSeconds * 1e9,
      directory: agent.directory,
      motd_file: agent.motdFile,
    });
    const at = text.indexOf(DERP_SLOT);
    // An undefined map is omitted, as JSON.stringify drops undefined keys.
    const derp = s.derpMap === undefined ? undefined : derpMapJson(s);
    const head = derp ? text.slice(0, at + DERP_SLOT.length - 4) : text.slice(0, at);
    const tail = text.slice(at + DERP_SLOT.length);
    const body = Buffer.allocUnsafe(Buffer.byteLength(head) + (derp?.length ?? 0) + Buffer.byteLength(tail));
    let n = body.write(head);
    if (derp) n += derp.copy(body, n);
    body.write(tail, n);
    cached = { revision: agent.revision, body };
    agent.cache.metadata = cached;
  }
  s.store.count(agent).metadataGets++;
  s.totals.metadataGets++;
  s.responder.json(ex, 200, cached.body);
}

function vscodePortProxyUri(s: ServerState, agent: AgentRecord): string {
  const port = s.accessUrl.port ? `:${s.accessUrl.port}` : '';
  if (!s.opts.appHostname) return port;
  const scheme = s.accessUrl.protocol.replace(/:$/, '');
  return s.opts.appHostname.replace('*', `${scheme}://{{port}}--${agent.name}--${agent.workspaceName}--${s.user.username}`) + port;
}

/** §5.3 */
export function version(s: ServerState, ex: Exchange, agent: AgentRecord, body: Buffer): void {
  const decoded = decodeGoStruct(body.toString('utf8'), VERSION_SPEC);
  if (!decoded.ok) return s.responder.error(ex, 400, INVALID_JSON, decoded.detail);
  const v = (decoded.value.version as string | undefined) ?? '';
  if (!isValidGoSemver(v)) return s.responder.error(ex, 400, 'Invalid workspace agent version provided.', `invalid semver version: ${goQuote(v)}`);
  if (agent.version !== v) {
    agent.version = v;
    agent.revision++;
  }
  s.store.count(agent).versionPosts++;
  s.totals.versionPosts++;
  s.responder.json(ex, 200, s.responder.nullBody);
}

/** §5.8 */
export function reportLifecycle(s: ServerState, ex: Exchange, agent: AgentRecord, body: Buffer): void {
  const decoded = decodeGoStruct(body.toString('utf8'), LIFECYCLE_SPEC);
  if (!decoded.ok) return s.responder.error(ex, 400, INVALID_JSON, decoded.detail);
  const state = (decoded.value.state as string | undefined) ?? '';
  if (!(LIFECYCLE_STATES as readonly string[]).includes(state)) {
    return s.responder.error(ex, 400, 'Invalid lifecycle state.', `Invalid lifecycle state ${goQuote(state)}${LIFECYCLE_DETAIL_TAIL}`);
  }
  agent.lifecycleState = state as LifecycleState;
  agent.revision++;
  s.store.count(agent).lifecycleStates.push(state);
  s.totals.lifecycleStates++;
  s.responder.empty(ex, 204);
}

/** §5.7: rx = tx = 0 answers at once without a write. */
export function reportStats(s: ServerState, ex: Exchange, agent: AgentRecord, body: Buffer): void {
  const decoded = decodeGoStruct(body.toString('utf8'), STATS_SPEC);
  if (!decoded.ok) return s.responder.error(ex, 400, INVALID_JSON, decoded.detail);
  const counters = s.store.count(agent);
  counters.reportStats++;
  s.totals.reportStats++;
  if (!decoded.value.rx_bytes && !decoded.value.tx_bytes) {
    counters.reportStatsZero++;
    s.totals.reportStatsZero++;
  }
  s.responder.json(ex, 200, s.statsBody);
}

const VALID_HEALTH = new Set(['initializing', 'healthy', 'unhealthy']);
const APP_HEALTH_ERROR = 'Error setting workspace app health';

/**
 * §5.4. coderd checks entries in random map order and saves nothing when one fails; here every
 * entry is validated (in body order) before anything is written, so the outcome is the same
 * and deterministic.
 */
export function appHealth(s: ServerState, ex: Exchange, agent: AgentRecord, body: Buffer): void {
  const decoded = decodeGoStruct(body.toString('utf8'), APP_HEALTH_SPEC);
  if (!decoded.ok) return s.responder.error(ex, 400, INVALID_JSON, decoded.detail);
  const healths = decoded.value.healths as Map<string, string> | undefined;
  if (!healths || healths.size === 0) return s.responder.error(ex, 400, 'Health field is empty');
  for (const [id, value] of healths) {
    const app = agent.apps.find((a) => a.id === id);
    if (!app) return s.responder.error(ex, 404, APP_HEALTH_ERROR, `workspace app name ${id} not found`);
    if (!app.healthcheck) return s.responder.error(ex, 404, APP_HEALTH_ERROR, `health checking is disabled for workspace app ${id}`);
    if (!VALID_HEALTH.has(value)) return s.responder.error(ex, 400, APP_HEALTH_ERROR, `workspace app health ${value} is not a valid value`);
  }
  let changed = false;
  for (const [id, value] of healths) {
    if (agent.appHealth.get(id) === value) continue;
    agent.appHealth.set(id, value as AppHealth);
    changed = true;
  }
  if (changed) agent.revision++;
  s.store.count(agent).appHealth++;
  s.totals.appHealth++;
  s.responder.json(ex, 200, s.responder.nullBody);
}

/** §5.6: the owner's key, same body for every agent. */
export function gitSshKey(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  s.store.count(agent).gitsshkeyGets++;
  s.totals.gitsshkeyGets++;
  s.responder.json(ex, 200, s.gitSshKeyBody);
}
