import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import type { MetricSink } from '../../../src/metrics/sink.js';
import type { Credentials } from '../../../src/protocol/credentials.js';
import type { WorkloadContext } from '../../../src/workloads/workload.js';
import { startHttpServer } from '../../helpers/loopback.js';

/** Credentials for n fake agents; every other agent has a health-checked app. */
export function fakeCredentials(url: string, n: number): Credentials {
  const hex = (i: number, width: number) => i.toString(16).padStart(width, '0');
  return {
    url,
    userToken: 'abcdefghij-0123456789abcdefghijkl',
    agents: Array.from({ length: n }, (_, i) => ({
      id: `00000000-0000-4000-8000-${hex(i, 12)}`,
      name: `agent-${i}`,
      workspaceName: `ws-${i}`,
      token: `11111111-1111-4111-8111-${hex(i, 12)}`,
      instanceId: `i-${i}`,
      apps:
        i % 2 === 0
          ? [
              { id: `22222222-2222-4222-8222-${hex(i, 12)}`, slug: 'code', healthcheck: true },
              { id: `33333333-3333-4333-8333-${hex(i, 12)}`, slug: 'plain', healthcheck: false },
            ]
          : [],
    })),
  };
}

export interface SeenRequest {
  method: string;
  url: string;
  token: string | undefined;
  body: string;
}

export interface DoubleServer {
  url: string;
  seen: SeenRequest[];
  /** Optional override: return a status to answer with (else 200/204). `hold` keeps the answer
   * until its release function (pushed onto `held`) is called; `hang` never answers. */
  respond?: (req: SeenRequest) => { status?: number; headers?: Record<string, string>; destroy?: boolean; hang?: boolean; hold?: boolean } | undefined;
  held: Array<() => void>;
  /** Resolves once no client connection is open. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

/** A tiny node:http stand-in for the reference server: records requests and answers them. */
export async function startDouble(): Promise<DoubleServer> {
  const sockets = new Set<Socket>();
  let onEmpty: (() => void) | undefined;
  const double: DoubleServer = {
    url: '',
    seen: [],
    held: [],
    allClosed: () => (sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onEmpty = resolve))),
    close: async () => {},
  };
  const server = await startHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = req.headers['coder-session-token'];
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        token: typeof token === 'string' ? token : undefined,
        body: Buffer.concat(chunks).toString(),
      };
      double.seen.push(seen);
      const override = double.respond?.(seen);
      if (override?.destroy) return void req.socket.destroy();
      if (override?.hang) return;
      const answer = (): void => {
        const status = override?.status ?? (seen.url.endsWith('/report-lifecycle') ? 204 : 200);
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...override?.headers });
        res.end(status === 204 ? undefined : '{"ok":true}\n');
      };
      if (override?.hold) double.held.push(answer);
      else answer();
    });
  });
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) onEmpty?.();
    });
  });
  double.url = server.url;
  double.close = server.close;
  return double;
}

export function context(url: string, credentials: Credentials, metrics: MetricSink, signal = new AbortController().signal): WorkloadContext {
  return {
    signal,
    clock: systemClock(),
    metrics,
    target: { url, embedded: false },
    credentials,
    rng: createRng('rest-test'),
    log: silentLogger,
  };
}
