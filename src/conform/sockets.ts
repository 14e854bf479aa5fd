/**
 * Sockets opened by one check, closed together when it ends, plus the coordinate and PTY dials
 * the groups share (tokens placed the way the Go SDK places them, protocol §2.1).
 */
import type { CredentialAgent } from '../protocol/credentials.js';
import { ensure, type ConformContext } from './check.js';
import { describeResponse, type ProbeRequest } from './http-probe.js';
import { openWs, type WsOpenResult, type WsProbe } from './ws-probe.js';

export const AGENTS_PATH = '/api/v2/workspaceagents';

export class SocketScope {
  private readonly probes: WsProbe[] = [];

  constructor(private readonly ctx: ConformContext) {}

  async open(req: ProbeRequest): Promise<WsOpenResult> {
    const result = await openWs(this.ctx.url, req, this.ctx.waitMs);
    if (result.ok) this.probes.push(result.probe);
    return result;
  }

  /** Opens or ends the check with FAIL showing the refusal. */
  async must(req: ProbeRequest, what: string): Promise<WsProbe> {
    const result = await this.open(req);
    ensure(result.ok, `${what}: 101 Switching Protocols`, result.ok ? '' : `${what}: ${describeResponse(result)}`);
    return result.probe;
  }

  /** The agent's `/me/coordinate` socket (token in the cookie, like agentsdk). */
  agent(agent: CredentialAgent): Promise<WsProbe> {
    return this.must({ path: `${AGENTS_PATH}/me/coordinate`, tokens: [{ token: agent.token, place: 'cookie' }] }, 'GET /me/coordinate');
  }

  /** A client `/{id}/coordinate` socket with the user key. */
  client(agent: CredentialAgent): Promise<WsProbe> {
    return this.must(
      { path: `${AGENTS_PATH}/${agent.id}/coordinate`, tokens: [{ token: this.ctx.credentials.userToken, place: 'cookie' }] },
      'GET /{id}/coordinate',
    );
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.probes.map((p) => p.close(this.ctx.waitMs)));
  }
}

/** Runs `body` with a socket scope that is closed afterwards, whatever happens. */
export async function withSockets<T>(ctx: ConformContext, body: (scope: SocketScope) => Promise<T>): Promise<T> {
  const scope = new SocketScope(ctx);
  try {
    return await body(scope);
  } finally {
    await scope.closeAll();
  }
}

/** Polls `read` every `stepMs` until `done` holds or `ms` passed; returns the last value read. */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
  stepMs = 25,
): Promise<{ value: T; ok: boolean; afterMs: number }> {
  const start = Date.now();
  let value = await read();
  while (!done(value)) {
    const elapsed = Date.now() - start;
    if (elapsed >= ms) return { value, ok: false, afterMs: elapsed };
    await new Promise((resolve) => setTimeout(resolve, Math.min(stepMs, ms - elapsed)));
    value = await read();
  }
  return { value, ok: true, afterMs: Date.now() - start };
}
