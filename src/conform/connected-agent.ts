/**
 * listening-ports and pty need an agent that reads `connected` (protocol §5.14, §5.15). Against
 * the embedded server the check connects one itself; against a real deployment it uses an agent
 * that a real agent process keeps connected, and never connects one under --safe (that would
 * take over the real agent's coordinate socket).
 */
import type { CredentialAgent } from '../protocol/credentials.js';
import { ensure, skipCheck, type ConformContext } from './check.js';
import { readAgent } from './groups/status.js';
import { poll, type SocketScope } from './sockets.js';

export async function connectedAgent(ctx: ConformContext, scope: SocketScope, key: string): Promise<CredentialAgent> {
  const agent = ctx.agent(key);
  const view = await readAgent(ctx, agent);
  if (view.status === 'connected') return agent;
  if (ctx.safe) skipCheck(`the agent reads "${view.status}"; connecting it would change its state (--safe)`);
  await scope.agent(agent);
  const result = await poll(
    () => readAgent(ctx, agent),
    (v) => v.status === 'connected',
    ctx.timing.heartbeatMs + 250,
  );
  ensure(result.ok, 'agent connected after opening /me/coordinate', `status ${result.value.status}`);
  return agent;
}
