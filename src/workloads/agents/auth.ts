import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { AgentApiClient } from '../../client/agent-client.js';
import type { ApiResult } from '../../client/http.js';
import type { CredentialAgent, IdentityMaterial } from '../../protocol/credentials.js';
import type { AgentDeps } from './deps.js';
import type { AuthMode } from './section.js';
import { pickWeighted } from './timing.js';
import type { StopSignal } from '../../client/stop-signal.js';

/** The agent's `--auth` mode: one seeded draw from the weights (same seed → same mode). */
export function chooseAuthMode(rng: Rng, weights: Readonly<Record<AuthMode, number>>): AuthMode {
  return pickWeighted(rng, weights);
}

/**
 * Obtains a session token for one run-loop pass (protocol §9: identity modes exchange again on
 * every pass). Returns the failed exchange result, or undefined on success (the client holds the
 * token).
 */
export async function authenticate(
  mode: AuthMode,
  agent: CredentialAgent,
  identity: IdentityMaterial | undefined,
  client: AgentApiClient,
  deps: AgentDeps,
  clock: Clock,
  signal: StopSignal,
  /** When the pass began (its exchange's intended start: time spent signing counts as queued). */
  intendedAt?: number,
): Promise<ApiResult | undefined> {
  if (mode === 'token') {
    client.token = agent.token;
    return undefined;
  }
  if (!identity) throw new Error(`auth mode ${mode} needs identity material`); // checked up front by the fleet
  let result: ApiResult<{ session_token: string }>;
  const call = { signal, intendedAt };
  if (mode === 'aws') {
    result = await client.exchangeAws(await deps.signAws(agent.instanceId, identity.aws), call);
  } else if (mode === 'azure') {
    result = await client.exchangeAzure(await deps.signAzure(agent.instanceId, identity.azure), call);
  } else {
    result = await client.exchangeGoogle(await deps.signGoogle(agent.instanceId, identity.google, { nowMs: clock.wallNow() }), call);
  }
  const token = result.body?.session_token;
  if (!result.ok || typeof token !== 'string' || token === '') {
    return result.ok ? { ...result, ok: false, errorClass: 'protocol' } : result;
  }
  client.token = token;
  return undefined;
}
