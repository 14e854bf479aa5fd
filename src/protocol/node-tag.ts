import type { TailnetNode } from './tailnet-node.js';
import { formatGoTime } from './go-time.js';

/**
 * Tagging of node updates so a receiver can recognise one after the coordinator has decoded and
 * re-encoded it (only the known Node fields survive, protocol §7.2).
 *
 * - `as_of` carries the send time (UTC, µs), unique and increasing per sender.
 * - The sequence number rides in the last `endpoints` entry, an address in the IPv6
 *   documentation prefix 2001:db8::/32 (`[2001:db8::<hi>:<lo>]:41641`). `endpoints` is a plain
 *   `[]string` in Go, so it survives any coderd untouched, and no traffic is ever sent to it.
 */
export interface NodeTag {
  seq: number;
  /** Send time, epoch milliseconds with µs precision (from as_of). */
  sentAtMs: number;
}

/** Every tag endpoint starts and ends with these. */
export const TAG_PREFIX = '[2001:db8::';
export const TAG_SUFFIX = ']:41641';

/** The endpoint string that carries `seq` (0 ≤ seq < 2^32). */
export function tagEndpoint(seq: number): string {
  return `${TAG_PREFIX}${(seq >>> 16).toString(16)}:${(seq & 0xffff).toString(16)}${TAG_SUFFIX}`;
}

/** Returns a copy of `node` tagged with `seq` and sent at `sentAtWallMs`. */
export function tagNode(node: TailnetNode, seq: number, sentAtWallMs: number): TailnetNode {
  const plain = (node.endpoints ?? []).filter((e) => !e.startsWith(TAG_PREFIX));
  return { ...node, as_of: formatGoTime(sentAtWallMs), endpoints: [...plain, tagEndpoint(seq)] };
}

/** Reads the tag back, or undefined for an untagged node. */
export function readNodeTag(node: Pick<TailnetNode, 'as_of' | 'endpoints'>): NodeTag | undefined {
  const last = node.endpoints?.[node.endpoints.length - 1];
  if (!last?.startsWith(TAG_PREFIX) || !last.endsWith(TAG_SUFFIX)) return undefined;
  const [hi, lo] = last.slice(TAG_PREFIX.length, -TAG_SUFFIX.length).split(':');
  if (hi === undefined || lo === undefined) return undefined;
  const seq = parseInt(hi, 16) * 65536 + parseInt(lo, 16);
  const sentAtMs = parseGoTimeMs(node.as_of);
  if (!Number.isFinite(seq) || !Number.isFinite(sentAtMs)) return undefined;
  return { seq, sentAtMs };
}

/** Epoch ms (µs precision kept) from an RFC 3339 UTC time with up to 9 fraction digits. */
function parseGoTimeMs(text: string): number {
  const match = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!match || match[1] === undefined) return NaN;
  const whole = Date.parse(match[1] + 'Z');
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return whole + fraction;
}
