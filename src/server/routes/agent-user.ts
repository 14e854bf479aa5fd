/** The user-key routes with plain bodies: GET /{id} (§5.11, §6), /connection (§5.12), /listening-ports (§5.14). */
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import { computeStatus, renderAgent, renderLatency } from '../agent-view.js';
import { parseGoUuid } from '../go-text.js';
import type { Exchange } from '../http/reply.js';
import { filterListeningPorts } from '../listening-ports.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';

/** §2.4 path parameter: 400 for a bad UUID, 404 for an unknown agent. */
export function agentParam(s: ServerState, ex: Exchange, param: string): AgentRecord | undefined {
  const direct = s.store.byId.get(param);
  if (direct) return direct;
  const parsed = parseGoUuid(param);
  if (!parsed.ok) {
    s.responder.error(ex, 400, 'Invalid UUID "workspaceagent".', parsed.error);
    return undefined;
  }
  const agent = s.store.byId.get(parsed.uuid);
  if (!agent) s.responder.error(ex, 404, "Agent doesn't exist with that id.");
  return agent;
}

/** GET /{id}: the body is cached per (revision, status, coordinator node). */
export function getAgent(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  const status = computeStatus(agent, s.wallNow(), s.opts.inactiveMs);
  const node = agent.socket ? s.coordinator.agentNode(agent.id) : (agent.v2?.latencyNode as TailnetNode | undefined);
  const cached = agent.cache.view;
  if (cached && cached.revision === agent.revision && cached.key === status.status && cached.node === node) {
    s.responder.json(ex, 200, cached.body);
    return;
  }
  const latency = renderLatency(node, s.regionName);
  if (!latency.ok) return s.responder.error(ex, 500, 'Internal error reading workspace agent.', latency.detail);
  const body = s.responder.encode(renderAgent(agent, status, latency));
  agent.cache.view = { key: status.status, revision: agent.revision, node, body };
  s.responder.json(ex, 200, body);
}

export function connection(s: ServerState, ex: Exchange): void {
  s.responder.json(ex, 200, s.connectionBody);
}

/** 400 unless the agent reads as connected (protocol §5.14 step 2 / §5.15 step 2). */
export function requireConnected(s: ServerState, ex: Exchange, agent: AgentRecord): boolean {
  const { status } = computeStatus(agent, s.wallNow(), s.opts.inactiveMs);
  if (status === 'connected') return true;
  s.responder.error(ex, 400, `Agent state is "${status}", it must be in the "connected" state.`);
  return false;
}

export function listeningPorts(s: ServerState, ex: Exchange, agent: AgentRecord): void {
  if (!requireConnected(s, ex, agent)) return;
  const ports = filterListeningPorts(
    agent.listeningPorts,
    agent.apps.map((a) => a.url),
  ).map((p) => ({ process_name: p.process_name, network: p.network, port: p.port }));
  s.responder.json(ex, 200, s.responder.encode({ ports }));
}
