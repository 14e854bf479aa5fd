import type { GitAskpass } from '../git-askpass.js';
import type { AppHealth } from '../../../client/agent-client.js';
import type { AgentReport } from '../fake-agent.js';
import type { AuthMode } from '../section.js';
import { healthRecord } from '../app-health.js';
import type { V2LifecycleState } from './session-port.js';

/**
 * What a v2 agent saw the target accept, per agent (tests compare it with the embedded server's
 * `counters().agents[id].v2`). Counts are of calls answered with success.
 */
export interface AgentV2Report {
  /** `/me/rpc` sessions opened (WebSocket upgraded). */
  sessions: number;
  manifests: number;
  startups: number;
  /** UpdateStats without `stats` (asking for the interval). */
  statsIntervalCalls: number;
  /** Entries in accepted BatchUpdateAppHealths calls. */
  appHealthUpdates: number;
  /** Entries in accepted BatchUpdateMetadata calls. */
  metadataKeys: number;
  logLines: number;
  logBytes: number;
  logLimitExceeded: boolean;
  scriptsCompleted: number;
  banners: number;
  /** Coordinate streams opened and update_self nodes sent on them. */
  coordinateStreams: number;
  nodeUpdatesSent: number;
  /** PeerUpdates received, and ready_for_handshake entries sent back. */
  peerUpdatesReceived: number;
  readyForHandshakes: number;
  derpStreams: number;
  derpMaps: number;
  /** Unary calls sent on the current session and not yet answered. */
  readonly rpcInFlight: number;
}

/** The per-agent report of a v2 agent (an {@link AgentReport} plus its v2 details). */
export class V2ReportState implements AgentReport, AgentV2Report {
  statsAccepted = 0;
  appHealthAccepted = 0;
  coordinateConnects = 0;
  connected = false;
  backingOff = false;
  healthIds: readonly string[] = [];
  healthStates: readonly AppHealth[] | undefined = undefined;
  gitAskpass: GitAskpass | undefined = undefined;
  sessions = 0;
  manifests = 0;
  startups = 0;
  statsIntervalCalls = 0;
  appHealthUpdates = 0;
  metadataKeys = 0;
  logLines = 0;
  logBytes = 0;
  logLimitExceeded = false;
  scriptsCompleted = 0;
  banners = 0;
  coordinateStreams = 0;
  nodeUpdatesSent = 0;
  peerUpdatesReceived = 0;
  readyForHandshakes = 0;
  derpStreams = 0;
  derpMaps = 0;
  /** The current session's RPC client (set by the agent), for {@link rpcInFlight}. */
  client: { readonly inFlight: number } | undefined = undefined;
  /**
   * Every lifecycle state the target accepted, in order. Replaced (not pushed to) on each
   * append by {@link LifecycleQueue}: a pushed-to array keeps V8's minimum grown capacity (17
   * slots) for its handful of entries, per agent.
   */
  lifecycle: readonly V2LifecycleState[] = [];

  constructor(
    readonly index: number,
    readonly id: string,
    readonly authMode: AuthMode,
  ) {}

  get v2(): AgentV2Report {
    return this;
  }

  get rpcInFlight(): number {
    return this.client?.inFlight ?? 0;
  }

  get lastHealths(): Record<string, AppHealth> | undefined {
    return this.healthStates && healthRecord(this.healthIds, this.healthStates);
  }
}
