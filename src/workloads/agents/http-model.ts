/**
 * The fleet's REST connection model (`agents.http`):
 * - `shared`: one keep-alive pool of `agents.httpConnections` for every agent. A real fleet has
 *   one connection per agent; the pool trades that fidelity for descriptors, so one process
 *   holds ~19,000 agents (docs/benchmarks.md#open-files-per-process).
 * - `per-agent`: each agent has its own keep-alive connections (one, and a second while two
 *   requests overlap, like Go's http.Transport), opened on its first request and closed when it
 *   stops, like a real agent. Every agent then holds up to three descriptors (coordinate socket +
 *   two REST connections), so a process holds about a third as many agents; {@link fdBudgetIssue}
 *   refuses a fleet that cannot fit before it starts.
 * Either way every connection opened to the target is counted (METRIC.httpConnectionsOpened).
 * With source addresses (`localAddresses`) a per-agent connection binds its agent's address, and
 * `shared` becomes one pool per address (the connections divided among them), each agent sending
 * on its address's pool, so every address carries its share of the REST connections.
 */
import type { Clock } from '../../core/clock.js';
import { createHttpTransport, createSingleConnectionTransport, type RequestContext } from '../../client/http.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { AgentsConfig } from './section.js';
import { AGENT_CONNECTIONS } from '../../client/http-transport.js';

/** The model a fleet runs with (`auto` resolved). */
export type HttpModel = Exclude<AgentsConfig['http'], 'auto'>;

/** The model chosen for a run, and why (reported as METRIC.httpModel). */
export interface HttpChoice {
  model: HttpModel;
  /** `scenario`: set there; `default`: `auto` and it fits; `fd-budget`: `auto` did not fit. */
  chosen: 'scenario' | 'default' | 'fd-budget';
  /** The soft open-files limit the choice was made against, when known. */
  openFilesLimit?: number;
  /** With `fd-budget`: why per-agent did not fit ({@link fdBudgetIssue}). */
  reason?: string;
}

/**
 * Resolves `agents.http` against the open-files limit: `auto` is `per-agent` (a real fleet's
 * shape) when {@link fdBudgetIssue} finds it fits, else `shared` with the reason. An explicit
 * `per-agent` that does not fit is the caller's error to raise.
 */
export function chooseHttpModel(
  configured: AgentsConfig['http'],
  peakAgents: number,
  peakPeers: number,
  limit: number | undefined,
): HttpChoice & { issue?: string } {
  const known = limit !== undefined ? { openFilesLimit: limit } : {};
  if (configured === 'shared') return { model: 'shared', chosen: 'scenario', ...known };
  const issue = fdBudgetIssue(peakAgents, peakPeers, limit);
  if (configured === 'per-agent') return { model: 'per-agent', chosen: 'scenario', ...known, ...(issue ? { issue } : {}) };
  if (issue) return { model: 'shared', chosen: 'fd-budget', ...known, reason: issue };
  return { model: 'per-agent', chosen: 'default', ...known };
}

/**
 * The fleet's dial gate (agents on their way up at once), from the connection budget rather
 * than a constant:
 * - `per-agent`: every agent's descriptors were budgeted before the run ({@link fdBudgetIssue}),
 *   and each sends on its own connection, so nothing inside fleetsim needs holding back: the
 *   gate admits the whole fleet (a burst dials as a real fleet's burst would);
 * - `shared`: the pool's connections are the budget; an agent on its way up has about one
 *   request in flight, so admitting more than the pool holds only moves the queue from the gate
 *   into the pool.
 */
export function dialGateSize(model: HttpModel, peakAgents: number, poolConnections: number): number {
  return Math.max(1, model === 'per-agent' ? peakAgents : poolConnections);
}

/** The REST contexts of one fleet. */
export interface FleetConnections {
  /** The fleet-wide context (the shared pool, the first address's with source addresses; with
   * `per-agent` it opens nothing unless used). */
  readonly shared: RequestContext;
  /** The context agent `localAddress` sends with: the shared one, or a new one-connection one. */
  forAgent(localAddress?: string): RequestContext;
  /** Closes an agent's own connection (no-op for the shared context). */
  release(ctx: RequestContext): Promise<void>;
  /** Closes the shared pool(s) (agents release their own first). */
  close(): Promise<void>;
}

export interface FleetConnectionOptions {
  model: HttpModel;
  baseUrl: string;
  /** Size of the shared pool (split over the source addresses). */
  connections: number;
  /** Source addresses the connections bind (agents pass theirs to `forAgent`); empty: the system picks. */
  localAddresses?: readonly string[];
  metrics: MetricSink;
  clock: Clock;
}

export function createFleetConnections(options: FleetConnectionOptions): FleetConnections {
  const { metrics, clock, baseUrl } = options;
  // One listener for every connection of the fleet (no closure per agent).
  const onConnect = (): void => metrics.count(METRIC.httpConnectionsOpened, 1);
  const addresses = options.localAddresses ?? [];
  // One pool per source address (an undici pool binds one localAddress); pools open lazily, so
  // a pool nobody sends on holds no descriptor.
  const perPool = Math.max(1, Math.ceil(options.connections / Math.max(1, addresses.length)));
  const pools = new Map<string | undefined, RequestContext>();
  const poolContexts = new Set<RequestContext>();
  const poolFor = (localAddress: string | undefined): RequestContext => {
    let ctx = pools.get(localAddress);
    if (!ctx) {
      const connections = localAddress === undefined && addresses.length === 0 ? options.connections : perPool;
      const transport = createHttpTransport({ baseUrl, connections, onConnect, ...(localAddress ? { localAddress } : {}) });
      ctx = { transport, metrics, clock };
      pools.set(localAddress, ctx);
      poolContexts.add(ctx);
    }
    return ctx;
  };
  const shared = poolFor(addresses[0]);
  return {
    shared,
    forAgent(localAddress) {
      if (options.model === 'shared') return poolFor(addresses.length > 0 ? localAddress : undefined);
      const transport = createSingleConnectionTransport({ baseUrl, onConnect, ...(localAddress ? { localAddress } : {}) });
      return { transport, metrics, clock };
    },
    async release(ctx) {
      if (!poolContexts.has(ctx)) await ctx.transport.close();
    },
    close: async () => {
      await Promise.all([...pools.values()].map((ctx) => ctx.transport.close()));
    },
  };
}

/** Descriptors kept free for the process itself (stdio, pipes, modules, report files). */
export const FD_MARGIN = 256;

/**
 * Why a `per-agent` fleet of `peakAgents` (plus `peakPeers` peer sockets in the same process)
 * cannot fit under the soft open-files limit `limit`, or undefined when it fits (or the limit is
 * unknown). Each agent holds its coordinate socket and up to {@link AGENT_CONNECTIONS} REST
 * connections.
 */
export function fdBudgetIssue(peakAgents: number, peakPeers: number, limit: number | undefined): string | undefined {
  if (limit === undefined) return undefined;
  const perAgent = 1 + AGENT_CONNECTIONS + (peakAgents > 0 ? peakPeers / peakAgents : 0);
  const needed = Math.ceil(peakAgents * perAgent) + FD_MARGIN;
  if (needed <= limit) return undefined;
  const fit = Math.max(0, Math.floor((limit - FD_MARGIN) / perAgent));
  const peers = peakPeers > 0 ? ` and ${peakPeers} peer sockets` : '';
  return (
    `agents.http "per-agent" holds up to ${1 + AGENT_CONNECTIONS} descriptors per agent (coordinate socket + ${AGENT_CONNECTIONS} REST connections): ` +
    `${peakAgents} agents${peers} need about ${needed} open files, but this process may open ${limit} (ulimit -n); ` +
    `at most ${fit} agents fit in one process`
  );
}
