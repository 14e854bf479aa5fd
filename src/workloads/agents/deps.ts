import type { Rng } from '../../core/rng.js';
import type { IdentityMaterial } from '../../protocol/credentials.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';

/** The subset of the protocol helper's CoordinateSocket the fleet uses. */
export interface AgentSocket {
  sendNode(node: TailnetNode): void;
  close(code?: number): void;
  readonly open: boolean;
}

export interface OpenAgentSocketOptions {
  url: string;
  token: string;
  tokenIn: 'cookie' | 'header';
  localAddress?: string;
  handshakeTimeoutMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  onNodes(nodes: TailnetNode[], receivedAtMs: number): void;
  onClose(code: number, reason: string): void;
}

/**
 * What the fleet takes from other modules (coordinate socket, node factory, identity signers).
 * Injected so unit tests can replace the network and the crypto; `realDeps` wires the real ones.
 */
export interface AgentDeps {
  openCoordinateSocket(options: OpenAgentSocketOptions): Promise<AgentSocket>;
  createAgentNode(rng: Rng): TailnetNode;
  signAws(instanceId: string, material: IdentityMaterial['aws']): Promise<{ document: string; signature: string }> | { document: string; signature: string };
  signAzure(vmId: string, material: IdentityMaterial['azure']): Promise<{ signature: string; encoding: string }> | { signature: string; encoding: string };
  signGoogle(
    instanceId: string,
    material: IdentityMaterial['google'],
    options: { nowMs: number },
  ): Promise<{ json_web_token: string }> | { json_web_token: string };
}
