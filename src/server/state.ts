import type { WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../core/clock.js';
import type { ServerCounters } from './counters.js';
import type { Faults } from './faults.js';
import type { Heartbeats } from './heartbeats.js';
import type { FixtureUser } from './fixtures.js';
import type { GitAuthLinks } from './git-auth-links.js';
import type { Responder } from './http/reply.js';
import type { UserAuth } from './http/auth.js';
import type { ResolvedOptions } from './options.js';
import type { AgentStore } from './store.js';
import type { TrustMaterial } from './identity/trust-material.js';
import type { TailnetNode } from '../protocol/tailnet-node.js';
import type { V2Server } from './v2/v2-server.js';

/** The parts of the coordinator the HTTP layer uses (src/server/coordinator, helper "protocol"). */
export interface CoordinatorPort {
  attachAgent(agentId: string, ws: WebSocket, hooks?: { onNode?: (node: TailnetNode) => void; onClose?: () => void }): void;
  attachClient(agentId: string, ws: WebSocket): void;
  agentNode(agentId: string): TailnetNode | undefined;
  dropAgents(ids?: string[]): unknown;
  close(): unknown;
}

/** The simulated PTY sessions (src/server/pty, helper "identity"). */
export interface PtyPort {
  attach(agentId: string, reconnectId: string, opts: { height: number; width: number; command: string }, ws: WebSocket): void;
  close(): void;
}

/** Everything route handlers share: options, store, caches and collaborators. */
export interface ServerState {
  opts: ResolvedOptions;
  clock: Clock;
  /** Wall-clock epoch ms (the injected clock's wallNow). */
  wallNow(): number;
  store: AgentStore;
  responder: Responder;
  totals: ServerCounters['totals'];
  faults: Faults;
  user: FixtureUser;
  userAuth: UserAuth;
  accessUrl: URL;
  derpMap: unknown;
  regionName(id: number): string;
  coordinator: CoordinatorPort;
  ptys?: PtyPort;
  gitAuth: GitAuthLinks;
  /** Encoded GET /me/gitsshkey body. */
  gitSshKeyBody: Buffer;
  /** Encoded GET /{id}/connection body. */
  connectionBody: Buffer;
  /** Encoded report-stats answer. */
  statsBody: Buffer;
  wss: WebSocketServer;
  /** The v2 routes' server: yamux writes up to 256 KiB + 12 per message, so no 32 KiB cap. */
  wssV2: WebSocketServer;
  /** The v2 tailnet coordinator (src/server/v2). */
  v2: V2Server;
  /** Identity trust material (generated at start, or lazily by the first identity request). */
  trust?: Promise<TrustMaterial>;
  /** The agents' connection heartbeats (one timer for all sockets). */
  heartbeats: Heartbeats;
  closing: boolean;
}
