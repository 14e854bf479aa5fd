/**
 * Plausible tailnet Nodes for fake agents and peers (protocol §7.2), drawn from a seeded Rng so a
 * scenario and seed always produce the same keys, ids and addresses.
 */
import type { Rng } from '../core/rng.js';
import { AGENT_IP, type TailnetNode } from './tailnet-node.js';
import { formatGoTime } from './go-time.js';
import { formatAddr } from './netip.js';
import { EMBEDDED_REGION_ID } from './derp-map.js';

const INT63_MASK = (1n << 63n) - 1n;

/** A random non-negative 63-bit id like Go's cryptorand.Int63 (usually beyond 2^53). */
export function randomNodeId(rng: Rng): bigint {
  return rng.bytes(8).readBigUInt64LE(0) & INT63_MASK;
}

/** `nodekey:` + 64 lower-case hex. */
export function randomNodeKey(rng: Rng): string {
  return `nodekey:${rng.bytes(32).toString('hex')}`;
}

/** `discokey:` + 64 lower-case hex. */
export function randomDiscoKey(rng: Rng): string {
  return `discokey:${rng.bytes(32).toString('hex')}`;
}

/** A client address like tailnet.IP(): fd7a:115c:a1e0: + 10 random bytes, canonical text, /128. */
export function randomClientAddress(rng: Rng): string {
  const bytes = new Uint8Array(16);
  bytes.set([0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0]);
  bytes.set(rng.bytes(10), 6);
  return `${formatAddr({ bytes, zone: '' })}/128`;
}

export interface NodeOptions {
  preferredDerp?: number;
  /** Wall-clock time for `as_of` (epoch ms); defaults to Date.now(). */
  nowMs?: number;
}

function baseNode(rng: Rng, address: string, opts: NodeOptions): TailnetNode {
  const region = opts.preferredDerp ?? EMBEDDED_REGION_ID;
  // A netcheck latency in seconds, 0.2–20 ms, rounded to µs like a measured value.
  const latency = Math.round(rng.jitter(0.0101, 0.98) * 1e6) / 1e6;
  const port = rng.int(30000, 60999);
  return {
    id: randomNodeId(rng),
    as_of: formatGoTime(opts.nowMs ?? Date.now()),
    key: randomNodeKey(rng),
    disco: randomDiscoKey(rng),
    preferred_derp: region,
    derp_latency: { [`${region}-v4`]: latency },
    addresses: [address],
    allowed_ips: [address],
    endpoints: [`10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}:${port}`, `192.168.${rng.int(0, 255)}.${rng.int(1, 254)}:${port}`],
  };
}

/** An agent's node: the fixed agent address (codersdk.WorkspaceAgentIP) in addresses and allowed_ips. */
export function createAgentNode(rng: Rng, opts: NodeOptions = {}): TailnetNode {
  return baseNode(rng, `${AGENT_IP}/128`, opts);
}

/** A client (peer) node with a random tailnet.IP() address. */
export function createClientNode(rng: Rng, opts: NodeOptions = {}): TailnetNode {
  return baseNode(rng, randomClientAddress(rng), opts);
}
