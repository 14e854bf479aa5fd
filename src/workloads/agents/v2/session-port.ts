import type { AgentRpcClient } from '../../../client/v2/agent-rpc-client.js';
import type { LifecycleState } from '../../../client/agent-client.js';

/** Lifecycle states a v2 agent reports (docs/protocol-v2.md §3.2, §3.3); v1 has no shutdown states. */
export type V2LifecycleState = LifecycleState | 'shutting_down' | 'off';

/** What a routine of a v2 session sees of it. */
export interface SessionPort {
  readonly client: AgentRpcClient;
  /** Established (manifest and startup accepted) and not ending. */
  readonly live: boolean;
  /**
   * A required RPC failed: end the session, as the Go agent does when any of its routines
   * fails (docs/protocol-v2.md §3.3); the agent redials with backoff.
   */
  teardown(): void;
}
