import type { Clock } from '../../src/core/clock.js';
import { createReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/reference-server.js';

/** A clock the test moves by hand (wall time starts at a fixed instant). */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(startWallMs = Date.UTC(2026, 10, 29, 12, 0, 0)): ManualClock {
  let offset = 0;
  return {
    now: () => offset,
    wallNow: () => startWallMs + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** One request; the body is read as text so exact bytes can be compared. */
export async function call(server: { url: string }, path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('Coder-Session-Token', init.token);
  const res = await fetch(`${server.url}${path}`, { ...init, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function post(server: { url: string }, path: string, token: string | undefined, body: string): Promise<Answer> {
  return call(server, path, { method: 'POST', token, body, headers: { 'Content-Type': 'application/json' } });
}

/** Starts a server on port 0 with the rate limit and identity material off unless asked. */
export function startServer(opts: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  return createReferenceServer({ agents: 3, rateLimit: -1, identity: false, ...opts });
}

/** Polls `check` until it returns true (bounded), never a fixed sleep as an assertion. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const ME = '/api/v2/workspaceagents/me';
export const AGENTS = '/api/v2/workspaceagents';
