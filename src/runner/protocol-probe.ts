import { request } from 'undici';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { withoutUserInfo } from '../core/url.js';

/**
 * `protocol: "auto"`: which agent API a target speaks, from `GET /api/v2/buildinfo`
 * (unauthenticated; body `{"external_url": …, "version": "v2.13.0+abc…", …}`, and since Coder 2.9 or
 * so `agent_api_version`). See docs/protocol-v2.md "Which protocol for which Coder version".
 *
 * Rules, first match wins:
 * 1. `version` is a release (`vMAJOR.MINOR.PATCH`, a `-rc.N`-style or `+build` suffix ignored; Coder
 *    went from v0.x to v2.0 in 2023):
 *    - ≥ 2.13 → v2: the v1 agent routes were removed in 2.13;
 *    - 2.8 – 2.12 → v2: both are served, and v2 is what those releases' own agents speak;
 *    - < 2.8 → v1: there is no v2 yet.
 * 2. Otherwise (a dev build, `-devel` in the version as in `v0.0.0-devel` or `v2.14.0-devel+abc`,
 *    whose numbers say little; or no usable `version`): `agent_api_version` of major 2 → v2 (the
 *    server names the v2 agent API it serves).
 * 3. Otherwise → v1, with the reason "could not tell" (set the protocol explicitly to be sure).
 * A buildinfo answer other than 200 JSON falls through to rule 3; a network failure throws (the
 * target probe reports an unreachable target as a harness error before this runs).
 */
export type AgentProtocol = 'v1' | 'v2';
/** What a scenario may ask for. */
export type ProtocolSetting = AgentProtocol | 'auto';

export interface ProtocolChoice {
  protocol: AgentProtocol;
  /** The `version` the target reported, if any. */
  version?: string;
  /** One line saying why (for the log). */
  reason: string;
}

/** The fields of codersdk.BuildInfoResponse the rules read. */
export interface BuildInfo {
  version?: unknown;
  agent_api_version?: unknown;
}

/** First Coder release with the v2 agent API (API 2.0). */
export const FIRST_V2_RELEASE = [2, 8] as const;
/** First Coder release without the v1 agent routes. */
export const FIRST_V2_ONLY_RELEASE = [2, 13] as const;

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

function atLeast(major: number, minor: number, [m, n]: readonly [number, number]): boolean {
  return major > m || (major === m && minor >= n);
}

/** The rules above, on a parsed buildinfo body (undefined: no usable answer). */
export function chooseProtocol(info: BuildInfo | undefined): ProtocolChoice {
  const version = typeof info?.version === 'string' ? info.version : undefined;
  const match = version === undefined ? null : SEMVER.exec(version.trim());
  if (match && !/-devel/.test(version as string)) {
    const major = Number(match[1]);
    const minor = Number(match[2]);
    if (atLeast(major, minor, FIRST_V2_ONLY_RELEASE)) {
      return { protocol: 'v2', version, reason: `Coder ${version} is 2.13 or later: v1 agent routes are gone, using v2` };
    }
    if (atLeast(major, minor, FIRST_V2_RELEASE)) {
      return { protocol: 'v2', version, reason: `Coder ${version} serves both v1 and v2 (2.8–2.12): using v2, what its own agents speak` };
    }
    return { protocol: 'v1', version, reason: `Coder ${version} is older than 2.8 and has no v2 agent API: using v1` };
  }
  const api = typeof info?.agent_api_version === 'string' ? info.agent_api_version : undefined;
  if (api !== undefined && /^2\.\d+$/.test(api.trim())) {
    return { protocol: 'v2', version, reason: `build ${JSON.stringify(version ?? '')} is not a release, but it serves agent API ${api}: using v2` };
  }
  return {
    protocol: 'v1',
    version,
    reason: `could not tell the agent API from buildinfo (version ${JSON.stringify(version ?? null)}): assuming v1; set agents.protocol to be sure`,
  };
}

/** GET `<url>/api/v2/buildinfo` and apply the rules. Throws only on a network failure. */
export async function probeProtocol(url: string, timeoutMs = 10_000): Promise<ProtocolChoice> {
  const response = await request(`${url.replace(/\/+$/, '')}/api/v2/buildinfo`, {
    method: 'GET',
    headers: { accept: 'application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    const choice = chooseProtocol(undefined);
    return { ...choice, reason: `GET /api/v2/buildinfo answered ${response.statusCode}; ${choice.reason}` };
  }
  let body: unknown;
  try {
    body = await response.body.json();
  } catch {
    return chooseProtocol(undefined);
  }
  return chooseProtocol(body !== null && typeof body === 'object' ? (body as BuildInfo) : undefined);
}

/** A concrete protocol for a setting: `auto` probes the target and logs the choice and why. */
export async function resolveProtocol(setting: ProtocolSetting, url: string, log: Logger): Promise<AgentProtocol> {
  if (setting !== 'auto') return setting;
  let choice: ProtocolChoice;
  try {
    choice = await probeProtocol(url);
  } catch (error) {
    throw new FleetsimError('harness', `protocol auto: GET ${withoutUserInfo(url)}/api/v2/buildinfo failed (${(error as Error).message})`, {
      hint: 'set agents.protocol to v1 or v2 explicitly, or check that the target is reachable',
      cause: error,
    });
  }
  log.info(`protocol auto → ${choice.protocol}: ${choice.reason}`);
  return choice.protocol;
}
