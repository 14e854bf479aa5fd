import { request } from 'undici';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { withoutUserInfo } from '../core/url.js';
import type { Credentials } from '../protocol/credentials.js';
import { startReferenceServerProcess, type RemoteReferenceServer } from '../server/server-process.js';
import type { Scenario } from '../scenario/schema.js';
import type { Target } from '../workloads/workload.js';
import { isProxyFault } from '../scenario/faults.js';
import { toAgentMetadata } from '../scenario/server-metadata.js';
import { loadCredentialsFile } from './credentials-file.js';
import { shardAgentCount, shardCredentials, type ShardSpec } from './shard.js';
import { resolveProtocol, type ProtocolSetting } from './protocol-probe.js';

/** The scenario's agent protocol setting (`agents.protocol`; peers follow it). */
export function protocolSetting(scenario: Scenario): ProtocolSetting {
  return scenario.agents.protocol;
}
import { startFaultProxyProcess, type ProxyProcess, type ProxyProcessStats } from './fault-proxy/proxy-process.js';

/** A started target: where to send traffic, whose credentials to use, and how to stop it. */
export interface RunTarget {
  /** What the workloads dial: the fault proxy when the scenario has network faults. */
  target: Target;
  /** The target's own base URL (the embedded server's or `--target`), for reports and logs. */
  upstreamUrl: string;
  credentials: Credentials;
  /** The embedded server, when fleetsim started one (embedded-server faults act on it). */
  server?: RemoteReferenceServer;
  /** The fault proxy in front of the target, when the scenario has network faults. */
  proxy?: ProxyProcess;
  /** Closes the proxy and the embedded server; resolves with the proxy's last counters. */
  close(): Promise<ProxyProcessStats | undefined>;
}

/**
 * Starts the embedded reference server in its own process (so it never shares the harness's
 * event loop), or reads the credentials for a real target. Either way the target is probed once
 * so a dead target is a clear harness error (exit 4), not a run full of `refused` samples.
 * With a `shard`, the credentials hold only that shard's agents (runner/shard.ts), and the
 * embedded server provisions only those: `peakAgents` is the whole run's.
 */
export async function startTarget(scenario: Scenario, peakAgents: number, log: Logger, shard?: ShardSpec): Promise<RunTarget> {
  const direct = await startDirectTarget(scenario, peakAgents, log, shard);
  if (!scenario.faults.some(isProxyFault)) return direct;
  try {
    return await withFaultProxy(direct, String(scenario.seed), log, scenario.sourceAddresses ?? []);
  } catch (error) {
    await direct.close();
    throw error;
  }
}

/**
 * Puts the fault proxy (its own process) in front of the target and points the fleet at it:
 * every client (agents, peers, REST) takes its base URL from `target.url`.
 */
async function withFaultProxy(direct: RunTarget, seed: string, log: Logger, localAddresses: readonly string[]): Promise<RunTarget> {
  const upstream = new URL(direct.upstreamUrl);
  if (upstream.protocol === 'https:') {
    throw new FleetsimError(
      'usage',
      `network faults need a plain-HTTP target; ${withoutUserInfo(direct.upstreamUrl)} is https and the fault proxy does not terminate TLS`,
      {
        hint: "run the network faults against an http:// address of the deployment (e.g. coderd's own listener inside the cluster), or use the embedded server",
      },
    );
  }
  const port = Number(upstream.port || 80);
  const host = upstream.hostname.replace(/^\[|\]$/g, '');
  const proxy = await startFaultProxyProcess({ target: { host, port }, seed, localAddresses });
  // The proxy URL keeps the target's userinfo (the fleet sends what it would send directly);
  // the log line shows neither's.
  const url = proxy.url(direct.upstreamUrl).replace(/\/+$/, '');
  log.info(`fault proxy (pid ${proxy.pid}) at ${withoutUserInfo(url)} in front of ${withoutUserInfo(direct.upstreamUrl)}: the fleet dials the proxy`);
  try {
    await probeTarget(url);
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return {
    ...direct,
    target: { ...direct.target, url },
    proxy,
    close: async () => {
      const last = await proxy.close().catch(() => undefined);
      await direct.close();
      return last;
    },
  };
}

async function startDirectTarget(scenario: Scenario, peakAgents: number, log: Logger, shard: ShardSpec | undefined): Promise<RunTarget> {
  if (scenario.target) {
    const all = await loadCredentialsFile(scenario.target.credentials);
    const credentials = shard ? shardCredentials(all, shard) : all;
    const url = scenario.target.url.replace(/\/+$/, '');
    await probeTarget(url);
    const protocol = await resolveProtocol(protocolSetting(scenario), url, log);
    return { target: { url, embedded: false, protocol }, upstreamUrl: url, credentials, close: async () => undefined };
  }
  const serverOptions = scenario.server;
  if (!serverOptions) throw new FleetsimError('bug', 'a scenario without a target must have server settings');
  const fleet = Math.max(serverOptions.agents, peakAgents);
  const agents = shard ? shardAgentCount(shard, fleet) : fleet;
  log.info(`starting the embedded reference server with ${agents} agents${shard ? ` (shard ${shard.index} of ${shard.count})` : ''}`);
  const server = await startReferenceServerProcess({
    agents,
    ...(shard ? { agentSlice: shard } : {}),
    seed: String(scenario.seed),
    rateLimit: serverOptions.rateLimit,
    reportIntervalMs: serverOptions.reportInterval,
    heartbeatMs: serverOptions.heartbeat,
    inactiveMs: serverOptions.inactiveTimeout,
    gitAuth: { answerAfterMs: serverOptions.gitAuth.answerAfter, linkTtlMs: serverOptions.gitAuth.linkTtl },
    ...(serverOptions.metadata ? { metadata: toAgentMetadata(serverOptions.metadata) } : {}),
    ...(serverOptions.protocols ? { protocols: serverOptions.protocols } : {}),
    capacity: serverOptions.capacity && {
      serviceTimeMs: serverOptions.capacity.serviceTime,
      workers: serverOptions.capacity.workers,
      endpoints: serverOptions.capacity.endpoints,
    },
  });
  let protocol: 'v1' | 'v2';
  try {
    await probeTarget(server.url);
    protocol = await resolveProtocol(protocolSetting(scenario), server.url, log);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    target: { url: server.url, embedded: true, protocol },
    upstreamUrl: server.url,
    credentials: server.credentials,
    server,
    close: async () => {
      await server.close();
      return undefined;
    },
  };
}

/**
 * One unauthenticated request to an agent route: any HTTP answer (coderd says 401) proves the
 * target is there; a network failure is a harness error with the cause (the URL shown without
 * its userinfo: the CLI prints error messages as they are).
 */
export async function probeTarget(url: string): Promise<void> {
  try {
    const response = await request(`${url}/api/v2/workspaceagents/me/metadata`, {
      method: 'GET',
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await response.body.dump();
  } catch (error) {
    const cause = (error as { code?: string; message?: string }).code ?? (error as Error).message;
    throw new FleetsimError('harness', `target ${withoutUserInfo(url)} is unreachable (${cause})`, {
      hint: 'check --target, that the server is running, and that this machine can reach it',
      cause: error,
    });
  }
}
