import type { CoordinateObserver } from '../coordinate-observer.js';
import type { AgentsConfig } from './section.js';
import { dialGateSize, type HttpChoice } from './http-model.js';

/** What the fleet needs besides its scenario section: what the runner derives, and harness
 * tuning that benches and tests set (never part of a scenario). */
export interface FleetRun {
  /** Agents wanted `elapsedMs` after the fleet started (the runner passes agentCountAt(plan)). */
  schedule: (elapsedMs: number) => number;
  /** The fleet stops by itself after this long (the run's AbortSignal may stop it earlier). */
  durationMs: number;
  observer?: CoordinateObserver;
  /** Bound on agents on their way up (auth → version → metadata → coordinate handshake) at once.
   * Default: sized from the connection budget ({@link dialGateSize}); benches may pin it. */
  maxConcurrentDials?: number;
  /** The REST connection model the kind chose for `agents.http` (default: the section's value,
   * `auto` read as `per-agent`), and why. */
  httpChoice?: HttpChoice;
  /** Source addresses (`--source-addresses`; agent i binds entry i mod n for its coordinate or
   * /me/rpc socket and its REST connection or pool), e.g. 127.0.0.2…: one source address only
   * reaches ~14k sockets to one server port quickly
   * (docs/benchmarks.md#ephemeral-ports-and-connections-per-address-pair). */
  localAddresses?: string[];
  /** Schedule tick (default 100 ms); starts are spread evenly inside a tick. */
  tickMs?: number;
  /** Git URL asked by the gitauth share (default a GitHub URL). */
  gitAuthUrl?: string;
  /** v2 only: the `version` asked for on /me/rpc (default {@link DEFAULT_V2_API_VERSION}). */
  apiVersion?: string;
}

/**
 * The v2 API version a fake agent asks for unless told otherwise: 2.2, the API of Coder v2.13,
 * the first v2-only release, so the same fleet runs against every v2-only Coder
 * (docs/protocol-v2.md, "Which protocol for which Coder version").
 */
export const DEFAULT_V2_API_VERSION = '2.2';

type Tuning = 'maxConcurrentDials' | 'localAddresses' | 'tickMs' | 'gitAuthUrl' | 'apiVersion' | 'httpChoice';

/** What every agent of the fleet reads: its section plus the tuning, defaults filled. */
export type FleetSettings = Omit<AgentsConfig, 'http'> & { http: HttpChoice['model'] } & Required<Pick<FleetRun, Tuning>>;

export function fleetSettings(config: AgentsConfig, run: FleetRun): FleetSettings {
  const httpChoice: HttpChoice = run.httpChoice ?? {
    model: config.http === 'shared' ? 'shared' : 'per-agent',
    chosen: config.http === 'auto' ? 'default' : 'scenario',
  };
  return {
    ...config,
    http: httpChoice.model,
    httpChoice,
    gitAuthUrl: run.gitAuthUrl ?? 'https://github.com/coder/coder.git',
    maxConcurrentDials: run.maxConcurrentDials ?? dialGateSize(httpChoice.model, config.count, config.httpConnections),
    localAddresses: run.localAddresses ?? [],
    tickMs: run.tickMs ?? 100,
    apiVersion: run.apiVersion ?? DEFAULT_V2_API_VERSION,
  };
}
