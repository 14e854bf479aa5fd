import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { WebSocket } from 'ws';
import { DrpcRouter, type ServerBidiStream } from '../../protocol/v2/drpc-router.js';
import { serveRpc, type RpcConnection } from '../../protocol/v2/rpc-connection.js';
import { DRPC_UNIMPLEMENTED, DrpcError } from '../../protocol/v2/wire-errors.js';
import { wsByteStream } from '../../protocol/v2/ws-byte-stream.js';
import { DERPMapSchema, TelemetryRequestSchema, TelemetryResponseSchema, type Node } from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import type { AgentV2Counters } from '../counters.js';
import type { DERPMap as JsonDerpMap } from '../../protocol/derp-map.js';
import type { ServerState } from '../state.js';
import type { AgentRecord } from '../store.js';
import { agentV2 } from './agent-state.js';
import { AGENT_METHODS, RpcError, type AgentRpcContext } from './agent-service.js';
import { ConnectionMonitor } from './connection-monitor.js';
import { decodeCoordinateRequest, type DecodedCoordinateRequest } from './coordinate-decode.js';
import { derpMapToProto } from './manifest.js';
import type { CoordinateeAuth } from './tailnet-core.js';
import type { CoordinateStream } from './v2-server.js';

/**
 * One yamux/dRPC session per upgraded v2 WebSocket (docs/protocol-v2.md §1.6, §2.3): the server
 * role, a router with the Agent and Tailnet services on /me/rpc (Tailnet only on the client
 * route), the connection monitor for agents, and the counters.
 */

const AGENT = '/coder.agent.v2.Agent/';
const TAILNET = '/coder.tailnet.v2.Tailnet/';

/** Agent methods of API 2.13 this server has no behaviour for (spec: answer Unimplemented). */
const AGENT_UNIMPLEMENTED = ['CreateSubAgent', 'DeleteSubAgent', 'ListSubAgents', 'ReportBoundaryLogs', 'UpdateAppStatus', 'PushContextState'];

/** Counts an RPC's outcome per agent (when known) and server-wide. */
function tally(s: ServerState, counters: AgentV2Counters | undefined, name: string, ok: boolean): void {
  const key = ok ? 'calls' : 'errors';
  s.totals.v2[key][name] = (s.totals.v2[key][name] ?? 0) + 1;
  if (counters) counters[key][name] = (counters[key][name] ?? 0) + 1;
}

/** RpcError → DrpcError (its code); anything else goes out with code 0 and its message. */
function toWire(error: unknown): unknown {
  return error instanceof RpcError ? new DrpcError(error.code, error.message) : error;
}

function addAgentService(router: DrpcRouter, ctx: AgentRpcContext, counters: AgentV2Counters): void {
  const s = ctx.s;
  for (const m of AGENT_METHODS) {
    router.unary(AGENT + m.name, (bytes) => {
      try {
        const out = m.handle(ctx, fromBinary(m.input, bytes) as never);
        const encoded = toBinary(m.output, out as never);
        tally(s, counters, m.name, true);
        return encoded;
      } catch (error) {
        tally(s, counters, m.name, false);
        throw toWire(error);
      }
    });
  }
  for (const name of AGENT_UNIMPLEMENTED) {
    router.unary(AGENT + name, () => {
      tally(s, counters, name, false);
      throw new DrpcError(DRPC_UNIMPLEMENTED, 'Unimplemented');
    });
  }
}

/** Bidi Coordinate bound to one peer identity. */
function coordinateHandler(s: ServerState, peerId: () => string, auth: CoordinateeAuth, counters: AgentV2Counters | undefined, onNode?: (node: Node) => void) {
  return (stream: ServerBidiStream): Promise<void> =>
    new Promise<void>((resolve) => {
      // Responses waiting for window or transport drain. No promise per response: one
      // whenWritten() covers everything queued until the stream has caught up.
      let queued = 0;
      let watching = false;
      const caughtUp = (): void => {
        watching = false;
        queued = 0;
      };
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve();
      };
      const sink: CoordinateStream = {
        send(response) {
          try {
            if (stream.write(response)) return queued;
          } catch {
            return queued; // the stream ended: its end reaches the coordinator on its own
          }
          queued++;
          if (!watching) {
            watching = true;
            stream.whenWritten().then(caughtUp, caughtUp);
          }
          return queued;
        },
        close() {
          stream.close();
          finish();
        },
      };
      tally(s, counters, 'Coordinate', true);
      const handle = s.v2.coordinate(peerId(), auth, sink, counters, onNode);
      stream.listen({
        onMessage(bytes) {
          if (done) return;
          let decoded: DecodedCoordinateRequest;
          try {
            decoded = decodeCoordinateRequest(bytes);
          } catch {
            // Undecodable: coderd's stream fails and the peer is lost.
            handle.end();
            stream.close();
            return finish();
          }
          handle.request(decoded.request, decoded.nodeBytes);
        },
        onEnd() {
          if (done) return;
          handle.end();
          finish();
        },
      });
    });
}

function addTailnetService(
  router: DrpcRouter,
  s: ServerState,
  peerId: () => string,
  auth: CoordinateeAuth,
  counters: AgentV2Counters | undefined,
  onNode?: (node: Node) => void,
): void {
  router.bidi(TAILNET + 'Coordinate', coordinateHandler(s, peerId, auth, counters, onNode));
  // The map never changes while the server runs: one push, then wait for the client to leave.
  router.serverStream(TAILNET + 'StreamDERPMaps', async (_req, stream, ctx) => {
    tally(s, counters, 'StreamDERPMaps', true);
    await stream.send(toBinary(DERPMapSchema, derpMapToProto(s.derpMap as JsonDerpMap | undefined))).catch(() => undefined);
    if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    stream.close();
  });
  router.unary(TAILNET + 'PostTelemetry', (bytes) => {
    fromBinary(TelemetryRequestSchema, bytes); // accepted and discarded
    tally(s, counters, 'PostTelemetry', true);
    return toBinary(TelemetryResponseSchema, { $typeName: 'coder.tailnet.v2.TelemetryResponse' });
  });
  router.unary(TAILNET + 'RefreshResumeToken', () => {
    tally(s, counters, 'RefreshResumeToken', false);
    throw new DrpcError(DRPC_UNIMPLEMENTED, 'resume tokens not supported on this connection');
  });
  router.unary(TAILNET + 'WorkspaceUpdates', () => {
    tally(s, counters, 'WorkspaceUpdates', false);
    throw new DrpcError(DRPC_UNIMPLEMENTED, 'Unimplemented');
  });
}

/** The v2 session record an agent keeps while it is the current one (agent.v2.session). */
export interface AgentSessionRef {
  /** Server-side drop (fault injection): closes the WebSocket 1001 or terminates it. */
  drop(how: 'close' | 'terminate'): void;
}

/** GET /me/rpc after the upgrade. */
export function serveAgentSession(s: ServerState, ws: WebSocket, agent: AgentRecord, apiVersion: string): void {
  const counters = s.store.count(agent).v2;
  const state = agentV2(agent);
  counters.rpcOpened++;
  counters.connected = true;
  s.totals.v2.rpcOpened++;
  const ref: AgentSessionRef = { drop: (how) => (how === 'terminate' ? ws.terminate() : ws.close(1001)) };
  state.session = ref;

  const router = new DrpcRouter();
  addAgentService(router, { s, agent, apiVersion }, counters);
  // GET /{id} renders `latency` from the current session's node, as from a v1 socket's.
  addTailnetService(
    router,
    s,
    () => agent.id,
    { kind: 'agent', agentId: agent.id },
    counters,
    (node) => {
      if (state.session === ref) state.latencyNode = { derp_latency: node.derpLatency, preferred_derp: node.preferredDerp };
    },
  );
  const conn: RpcConnection = serveRpc(wsByteStream(ws), router);
  const monitor = new ConnectionMonitor(s, agent, { ping: () => conn.session.ping(), close: () => conn.close() });
  const untrack = s.v2.track({ close: () => conn.close() });
  void conn.closed.then(() => {
    untrack();
    monitor.stop();
    counters.rpcClosed++;
    s.totals.v2.rpcClosed++;
    if (state.session === ref) {
      state.session = undefined;
      state.latencyNode = undefined;
      counters.connected = false;
    }
  });
}

/** GET /{id}/coordinate?version=2.x after the upgrade: Tailnet only, a fresh peer id per connection. */
export function serveClientSession(s: ServerState, ws: WebSocket, agent: AgentRecord): void {
  s.totals.v2.clientRpcOpened++;
  const peerId = crypto.randomUUID();
  const router = new DrpcRouter();
  addTailnetService(router, s, () => peerId, { kind: 'client', agentId: agent.id }, undefined);
  const conn = serveRpc(wsByteStream(ws), router);
  const untrack = s.v2.track({ close: () => conn.close() });
  void conn.closed.then(() => {
    untrack();
    s.totals.v2.clientRpcClosed++;
  });
}
