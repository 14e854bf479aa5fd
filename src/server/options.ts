import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/** Options of the embedded reference server (all optional; defaults follow coderd). */
export interface ReferenceServerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 0 = any free port). */
  port?: number;
  /** Agents (workspaces) provisioned at start (default 0; more with provision()). */
  agents?: number;
  /** Fixtures seed (default '1'): same seed, same fixtures, tokens included. */
  seed?: string;
  /** /api/v2 requests per minute per IP+path (default 512; <= 0 disables). */
  rateLimit?: number;
  /** report-stats `report_interval` in ms (default 600000 = 10 min). */
  reportIntervalMs?: number;
  /** Connection heartbeat (coderd AgentConnectionUpdateFrequency, default 3000). */
  heartbeatMs?: number;
  /** Inactive-disconnect threshold (default 2 × heartbeatMs). */
  inactiveMs?: number;
  /** Server → peer WebSocket ping interval (default 15000). */
  pingIntervalMs?: number;
  /** X-Coder-Build-Version (default v0.15.3-devel+fleetsim). */
  buildVersion?: string;
  /** Largest accepted request body; larger ones get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** listen() backlog (default 4096). */
  backlog?: number;
  /**
   * Wildcard app hostname, e.g. `*.apps.example.com` (default none, which gives coderd's quirky
   * `vscode_port_proxy_uri` of `":<port>"`, protocol §5.2).
   */
  appHostname?: string;
  /**
   * Generate the instance-identity trust material at start and put it in the credentials
   * (default true). It costs seconds of CPU on a busy machine; with false it is generated on the
   * first identity request instead and `credentials.identity` is absent.
   */
  identity?: boolean;
  /** Injected time source (tests); wallNow() drives every timestamp, status and rate window. */
  clock?: Clock;
  log?: Logger;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  agents: number;
  seed: string;
  rateLimit: number;
  reportIntervalMs: number;
  heartbeatMs: number;
  inactiveMs: number;
  pingIntervalMs: number;
  buildVersion: string;
  maxBodyBytes: number;
  backlog: number;
  appHostname?: string;
  identity: boolean;
}

export function resolveOptions(o: ReferenceServerOptions): ResolvedOptions {
  const heartbeatMs = o.heartbeatMs ?? 3_000;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    agents: o.agents ?? 0,
    seed: o.seed ?? '1',
    rateLimit: o.rateLimit ?? 512,
    reportIntervalMs: o.reportIntervalMs ?? 600_000,
    heartbeatMs,
    inactiveMs: o.inactiveMs ?? 2 * heartbeatMs,
    pingIntervalMs: o.pingIntervalMs ?? 15_000,
    buildVersion: o.buildVersion ?? 'v0.15.3-devel+fleetsim',
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    backlog: o.backlog ?? 4096,
    appHostname: o.appHostname,
    identity: o.identity ?? true,
  };
}
