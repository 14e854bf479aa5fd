import { goQuote } from '../../protocol/go-json.js';
import { parseGoJsonValue } from '../http/go-decode.js';
import type { Exchange } from '../http/reply.js';
import { exchangeInstanceIdentity } from '../identity/exchange.js';
import { generateTrustMaterial } from '../identity/trust-material.js';
import type { ServerState } from '../state.js';

/**
 * POST /{aws,azure,google}-instance-identity (protocol §5.1): no auth. The provider check lives in
 * src/server/identity; this does the body decode and the shared lookup by instance id.
 */
export async function instanceIdentity(s: ServerState, ex: Exchange, provider: 'aws' | 'azure' | 'google', body: Buffer): Promise<void> {
  const parsed = parseGoJsonValue(body.toString('utf8'));
  if (!parsed.ok) return s.responder.error(ex, 400, 'Request body must be valid JSON.', parsed.detail);
  s.trust ??= generateTrustMaterial(s.opts.seed);
  const trust = await s.trust;
  const result = exchangeInstanceIdentity(provider, parsed.value, trust, s.wallNow());
  if (!result.ok) return s.responder.json(ex, result.status, s.responder.encode(result.body));
  const agent = s.store.byInstanceId.get(result.instanceId);
  if (!agent) return s.responder.error(ex, 404, `Instance with id ${goQuote(result.instanceId)} not found.`);
  s.totals.identityExchanges[provider]++;
  s.responder.json(ex, 200, s.responder.encode({ session_token: agent.token }));
}
