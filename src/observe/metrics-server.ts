import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { FleetsimError } from '../core/errors.js';

/** The default when only a port is given: loopback, so a run never exposes figures by accident. */
const DEFAULT_HOST = '127.0.0.1';

/** The standard port range; 0 asks the OS for a free one (tests). */
const MAX_PORT = 65_535;

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `--metrics-addr`: `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (the last two bind
 * 127.0.0.1). Binding another interface must be asked for explicitly (`0.0.0.0:9464`).
 */
export function parseListenAddress(text: string): ListenAddress {
  const value = text.trim();
  const bad = (why: string) =>
    new FleetsimError('usage', `invalid metrics address "${text}": ${why}`, {
      hint: 'use HOST:PORT, e.g. 127.0.0.1:9464 (loopback) or 0.0.0.0:9464 (every interface)',
    });
  let host = DEFAULT_HOST;
  let portText = value;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (value.includes(':')) {
    const at = value.lastIndexOf(':');
    if (value.indexOf(':') !== at) throw bad('put an IPv6 host in brackets, e.g. [::1]:9464');
    host = value.slice(0, at) || DEFAULT_HOST;
    portText = value.slice(at + 1);
  }
  if (!/^\d+$/.test(portText)) throw bad('the port must be a number');
  const port = Number(portText);
  if (port > MAX_PORT) throw bad(`the port must be 0-${MAX_PORT}`);
  if (!/^[A-Za-z0-9.\-:]+$/.test(host)) throw bad('the host must be a name or an IP address');
  return { host, port };
}

export interface MetricsServer {
  /** `http://host:port/metrics` as bound (the real port when 0 was asked). */
  readonly url: string;
  readonly address: ListenAddress;
  /** Stops listening and drops open (keep-alive) connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text exposition format) from `registry` until closed.
 * Scrapes are read-only and cheap: the registry reads counters kept by the run's sink.
 */
export async function startMetricsServer(registry: Registry, address: ListenAddress): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('fleetsim serves Prometheus metrics at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${(error as Error)?.message ?? String(error)}\n`);
      },
    );
  });
  // A scraper must never keep the run alive.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new FleetsimError('harness', `cannot serve metrics on ${address.host}:${address.port}: ${error.code ?? error.message}`, {
          hint: error.code === 'EADDRINUSE' ? 'another process uses that port: pick another with --metrics-addr HOST:PORT' : 'check --metrics-addr',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.unref();
  const bound = server.address() as AddressInfo;
  const hostForUrl = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${bound.port}/metrics`,
    address: { host: bound.address, port: bound.port },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
