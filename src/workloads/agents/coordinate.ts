import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import { httpStatusClass, networkErrorClass, wsCloseClass } from '../../metrics/error-class.js';
import { ENDPOINT, METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import { tagNode } from '../../protocol/node-tag.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import type { AgentDeps } from './deps.js';
import type { Gate } from './timing.js';

export interface CoordinateSessionContext {
  agentId: string;
  url: string;
  token: string;
  localAddress?: string;
  deps: AgentDeps;
  clock: Clock;
  metrics: MetricSink;
  observer?: CoordinateObserver;
  gate: Gate;
  signal: AbortSignal;
  handshakeTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  nodeUpdateInterval: number;
  nodeUpdateJitter: number;
  /** Seeded stream for update jitter. */
  rng: Rng;
  /** The agent's node (keys stay the same across reconnects). */
  node: TailnetNode;
  /** Next tag sequence number; advanced per send (unique and increasing per agent). */
  seq: { next: number };
  onOpen(): void;
  onClosed(): void;
}

export type SessionEnd = 'closed' | 'failed' | 'aborted';

/**
 * One coordinate socket lifetime (spec §7, §9.2.6): dial with the token in the
 * `coder_session_token` cookie like the SDK, send the agent node at once and then every
 * nodeUpdateInterval ± jitter (each send tagged), hand incoming arrays to the observer, and
 * resolve when the socket closes ('closed'), never opens ('failed') or the agent stops ('aborted').
 */
export async function runCoordinateSession(ctx: CoordinateSessionContext): Promise<SessionEnd> {
  if (!(await ctx.gate.acquire(ctx.signal))) return 'aborted';
  const startedAt = ctx.clock.now();
  let closedBy: ((code: number) => void) | undefined;
  let closedEarly: number | undefined;
  let socket;
  try {
    socket = await ctx.deps.openCoordinateSocket({
      url: ctx.url,
      token: ctx.token,
      tokenIn: 'cookie',
      localAddress: ctx.localAddress,
      handshakeTimeoutMs: ctx.handshakeTimeoutMs,
      pingIntervalMs: ctx.pingIntervalMs,
      pingTimeoutMs: ctx.pingTimeoutMs,
      onNodes: (nodes, receivedAtMs) => ctx.observer?.agentReceived(ctx.agentId, nodes, receivedAtMs),
      onClose: (code) => {
        if (closedBy) closedBy(code);
        else closedEarly = code;
      },
    });
  } catch (error) {
    ctx.gate.release();
    if (ctx.signal.aborted) return 'aborted';
    ctx.metrics.trend(METRIC.request, ctx.clock.now() - startedAt, { endpoint: ENDPOINT.agentCoordinate });
    ctx.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentCoordinate, class: dialErrorClass(error) });
    return 'failed';
  }
  ctx.gate.release();
  ctx.metrics.trend(METRIC.request, ctx.clock.now() - startedAt, { endpoint: ENDPOINT.agentCoordinate });
  if (ctx.signal.aborted) {
    socket.close(1000);
    return 'aborted';
  }
  const open = socket;
  ctx.onOpen();
  ctx.observer?.agentSocket(ctx.agentId, true, ctx.clock.wallNow());

  let timer: NodeJS.Timeout | undefined;
  const sendNode = (): void => {
    if (!open.open) return;
    const seq = ctx.seq.next++;
    const at = ctx.clock.wallNow();
    open.sendNode(tagNode(ctx.node, seq, at));
    ctx.observer?.agentSent(ctx.agentId, seq, at);
  };
  const schedule = (): void => {
    timer = setTimeout(() => {
      sendNode();
      schedule();
    }, ctx.rng.jitter(ctx.nodeUpdateInterval, ctx.nodeUpdateJitter));
  };

  const end = await new Promise<SessionEnd>((resolve) => {
    const onAbort = (): void => {
      closedBy = undefined;
      open.close(1000);
      resolve('aborted');
    };
    closedBy = (code) => {
      ctx.signal.removeEventListener('abort', onAbort);
      // 1000/1001 read as a clean EOF in Go (spec §7.1); anything else is a failure sample.
      if (code !== 1000 && code !== 1001) {
        ctx.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentCoordinate, class: wsCloseClass(code) });
      }
      resolve('closed');
    };
    if (closedEarly !== undefined) return closedBy(closedEarly);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    sendNode();
    schedule();
  });
  clearTimeout(timer);
  ctx.onClosed();
  ctx.observer?.agentSocket(ctx.agentId, false, ctx.clock.wallNow());
  return end;
}

/** Classifies a failed upgrade: an HTTP answer by status, otherwise by network error. */
export function dialErrorClass(error: unknown): string {
  const e = error as { statusCode?: unknown; status?: unknown; message?: unknown } | undefined;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : undefined;
  if (status !== undefined && status > 0) return httpStatusClass(status);
  const message = typeof e?.message === 'string' ? e.message : '';
  const match = /Unexpected server response: (\d{3})/.exec(message);
  if (match) return httpStatusClass(Number(match[1]));
  if (/timed? ?out/i.test(message)) return 'timeout';
  return networkErrorClass(error);
}
