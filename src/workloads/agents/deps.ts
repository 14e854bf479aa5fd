import type { CoordinateSocket, CoordinateSocketOptions } from '../../client/coordinate-socket.js';
import type { Rng } from '../../core/rng.js';
import type { IdentityMaterial } from '../../protocol/credentials.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { AgentRpcDialOptions } from '../../client/v2/agent-rpc-dial.js';
import type { ByteTransport } from '../../protocol/v2/ws-byte-stream.js';

/** The coordinate socket the fleet holds per agent (the client module's type). */
export type AgentSocket = CoordinateSocket;

/** What the fleet passes when it dials (the client module's options, minus what it leaves at defaults). */
export type OpenAgentSocketOptions = Omit<CoordinateSocketOptions, 'maxPayload' | 'closeGraceMs'>;

/**
 * What the fleet takes from other modules (coordinate socket, node factory, identity signers).
 * Injected so unit tests can replace the network and the crypto; `realDeps` wires the real ones.
 */
export interface AgentDeps {
  openCoordinateSocket(options: OpenAgentSocketOptions): Promise<AgentSocket>;
  /** v2: dials `/me/rpc` and returns the WebSocket as a byte stream (tests: an in-memory pipe). */
  openAgentRpc(options: AgentRpcDialOptions): Promise<ByteTransport>;
  createAgentNode(rng: Rng): TailnetNode;
  signAws(instanceId: string, material: IdentityMaterial['aws']): Promise<{ document: string; signature: string }> | { document: string; signature: string };
  signAzure(vmId: string, material: IdentityMaterial['azure']): Promise<{ signature: string; encoding: string }> | { signature: string; encoding: string };
  signGoogle(
    instanceId: string,
    material: IdentityMaterial['google'],
    options: { nowMs: number },
  ): Promise<{ json_web_token: string }> | { json_web_token: string };
}
