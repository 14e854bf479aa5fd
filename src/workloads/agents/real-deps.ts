import { openCoordinateSocket } from '../../client/coordinate-socket.js';
import { dialAgentRpc } from '../../client/v2/agent-rpc-dial.js';
import { signAwsIdentity } from '../../client/identity/aws.js';
import { signAzureIdentity } from '../../client/identity/azure.js';
import { signGoogleIdentity } from '../../client/identity/google.js';
import { createAgentNode } from '../../protocol/node-factory.js';
import type { AgentDeps } from './deps.js';

/** The real network, node factory and identity signers. */
export const realDeps: AgentDeps = {
  openCoordinateSocket: (options) => openCoordinateSocket(options),
  openAgentRpc: (options) => dialAgentRpc(options),
  createAgentNode: (rng) => createAgentNode(rng),
  signAws: (instanceId, material) => signAwsIdentity(instanceId, material),
  signAzure: (vmId, material) => signAzureIdentity(vmId, material),
  signGoogle: (instanceId, material, options) => signGoogleIdentity(instanceId, material, options),
};
