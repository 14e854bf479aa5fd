/**
 * The tailnet Node of protocol §7.2, as carried on the coordinate sockets.
 *
 * `id` is a Go int64: real values are random 63-bit integers beyond Number.MAX_SAFE_INTEGER, so
 * it is a `bigint` here and is written back as the same decimal digits.
 */
export interface TailnetNode {
  id: bigint;
  /** RFC 3339 time text, as sent (kept as text so re-encoding is exact). */
  as_of: string;
  /** `nodekey:` + 64 lower-case hex. */
  key: string;
  /** `discokey:` + 64 lower-case hex. */
  disco: string;
  preferred_derp: number;
  /** `"<regionID>-v4"` / `"-v6"` → seconds; null before the first netcheck. */
  derp_latency: Record<string, number> | null;
  /** `"ip/bits"` prefixes. */
  addresses: string[] | null;
  allowed_ips: string[] | null;
  /** `"ip:port"` strings (IPv6 as `[ip]:port`). */
  endpoints: string[] | null;
}

/** The fixed address every real agent uses (codersdk.WorkspaceAgentIP), protocol §7.2. */
export const AGENT_IP = 'fd7a:115c:a1e0:49d6:b259:b7ac:b1b2:48f4';
/** Prefix of client (peer) addresses: `fd7a:115c:a1e0:` + 10 random bytes. */
export const CLIENT_IP_PREFIX = 'fd7a:115c:a1e0:';
