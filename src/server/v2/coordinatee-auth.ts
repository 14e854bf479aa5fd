import { canonicalPrefix, formatAddr } from '../../protocol/netip.js';
import type { CoordinateeAuth, CoordinateRequest } from './tailnet-core.js';

/**
 * coderd's per-stream authorization of Coordinate requests (docs/protocol-v2.md §6.3): agents may
 * not open tunnels and may only claim their own addresses; clients may only tunnel to the agent
 * in their URL and may not send ready_for_handshake. Every node address must be a /128.
 * Returns the refusal text (it ends the stream; it is never sent to the peer) or undefined.
 */

const LEGACY_AGENT_IP = 'fd7a:115c:a1e0:49d6:b259:b7ac:b1b2:48f4';
const TAILSCALE_PREFIX = [0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0];
const CODER_PREFIX = [0xfd, 0x60, 0x62, 0x7a, 0xa4, 0x2b];

function uuidBytes(id: string): Uint8Array {
  return Uint8Array.from(Buffer.from(id.replace(/-/g, ''), 'hex'));
}

/** The 6-byte service prefix followed by the last 10 bytes of the UUID. */
function serviceAddr(prefix: readonly number[], id: string): string {
  const bytes = new Uint8Array(16);
  bytes.set(prefix, 0);
  bytes.set(uuidBytes(id).subarray(6), 6);
  return formatAddr({ bytes, zone: '' });
}

/** Addresses an agent may put in its node (the canonical text of each). */
export function agentAddresses(agentId: string): string[] {
  return [serviceAddr(TAILSCALE_PREFIX, agentId), serviceAddr(CODER_PREFIX, agentId), LEGACY_AGENT_IP];
}

const allowedCache = new Map<string, Set<string>>();

function allowedFor(agentId: string): Set<string> {
  let set = allowedCache.get(agentId);
  if (!set) {
    if (allowedCache.size > 65536) allowedCache.clear();
    set = new Set(agentAddresses(agentId));
    allowedCache.set(agentId, set);
  }
  return set;
}

/** An address text parsed: its canonical address, or the refusal text. */
type Parsed = { addr: string; refused?: undefined } | { addr?: undefined; refused: string };

/**
 * Parsed address texts: a node repeats the same addresses on every update, and parsing an IPv6
 * prefix costs more than the rest of the check.
 */
const parsedCache = new Map<string, Parsed>();

function parseAddress(text: string): Parsed {
  let parsed = parsedCache.get(text);
  if (parsed !== undefined) return parsed;
  let canonical: string;
  try {
    canonical = canonicalPrefix(text);
    const slash = canonical.lastIndexOf('/');
    const bits = slash === -1 ? 0 : Number(canonical.slice(slash + 1));
    parsed = bits !== 128 ? { refused: `invalid address bits, expected 128, got ${bits}` } : { addr: canonical.slice(0, slash) };
  } catch (error) {
    parsed = { refused: `parse node address: ${(error as Error).message}` };
  }
  if (parsedCache.size >= 65_536) parsedCache.clear();
  parsedCache.set(text, parsed);
  return parsed;
}

/** Checks one address list; `agentId` set = the addresses must be that agent's. */
function checkAddresses(addresses: readonly string[], agentId: string | undefined): string | undefined {
  for (const text of addresses) {
    const parsed = parseAddress(text);
    if (parsed.refused !== undefined) return parsed.refused;
    if (agentId !== undefined && !allowedFor(agentId).has(parsed.addr)) return `invalid node address, got ${parsed.addr}`;
  }
  return undefined;
}

export function authorizeCoordinate<N extends { addresses: readonly string[] }>(auth: CoordinateeAuth, req: CoordinateRequest<N>): string | undefined {
  if (auth.kind === 'agent') {
    if (req.addTunnel !== undefined) return 'agents cannot open tunnels';
    const node = req.updateSelf?.node;
    return node ? checkAddresses(node.addresses, auth.agentId) : undefined;
  }
  if (req.addTunnel !== undefined && req.addTunnel !== auth.agentId) return `invalid agent id, expected ${auth.agentId}, got ${req.addTunnel}`;
  const node = req.updateSelf?.node;
  if (node) {
    const refused = checkAddresses(node.addresses, undefined);
    if (refused) return refused;
  }
  if (req.readyForHandshake && req.readyForHandshake.length > 0) return 'clients may not send ready_for_handshake';
  return undefined;
}
