/**
 * The `version` query parameter of the v2 routes (docs/protocol-v2.md §1.3): coderd parses
 * `<major>.<minor>` with Go's strconv.Atoi and validates it against the server's current API
 * version, which has no extra supported majors (so every 1.x is "no longer supported").
 */

/** The API version this server claims (what coderd's `proto.CurrentVersion` was when 2.13 shipped its proto). */
export const SERVER_API_VERSION = { major: 2, minor: 13 } as const;

/** The body coderd answers with (HTTP 400) when validation fails. */
export const UNSUPPORTED_VERSION_MESSAGE = 'Unknown or unsupported API version';

export type VersionCheck = { ok: true; version: string; major: number; minor: number } | { ok: false; detail: string };

/** Go's strconv.Atoi on a 64-bit platform: optional sign, decimal digits, int64 range. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  // Beyond 2^53 the exact value does not matter: it only has to compare as "bigger than 2".
  return Number(big);
}

/**
 * apiversion.Validate. `version` is the query value; the caller substitutes the route's default
 * first (`2.0` on /me/rpc, `1.0` on /{id}/coordinate). `X` in the error texts is the whole string.
 */
export function checkApiVersion(
  version: string,
  server: { major: number; minor: number } = SERVER_API_VERSION,
  /** Older majors still served (coderd 2.8–2.12 accepted 1.x: `WithBackwardCompat(1)`). */
  extraMajors: readonly number[] = [],
): VersionCheck {
  const parts = version.split('.');
  if (parts.length !== 2) return { ok: false, detail: `invalid version string: ${version}` };
  const major = atoi(parts[0] as string);
  if (major === undefined) return { ok: false, detail: `invalid major version: ${version}` };
  const minor = atoi(parts[1] as string);
  if (minor === undefined) return { ok: false, detail: `invalid minor version: ${version}` };
  const at = `${server.major}.${server.minor}`;
  if (major > server.major) return { ok: false, detail: `server is at version ${at}, behind requested major version ${version}` };
  if (major === server.major) {
    if (minor > server.minor) return { ok: false, detail: `server is at version ${at}, behind requested minor version ${version}` };
    return { ok: true, version, major, minor };
  }
  if (extraMajors.includes(major)) return { ok: true, version, major, minor };
  return { ok: false, detail: `version ${version} is no longer supported` };
}
