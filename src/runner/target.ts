import { request } from 'undici';
import { FleetsimError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Credentials } from '../protocol/credentials.js';
import { startReferenceServerProcess, type RemoteReferenceServer } from '../server/server-process.js';
import type { Scenario } from '../scenario/schema.js';
import type { Target } from '../workloads/workload.js';
import { loadCredentialsFile } from './credentials-file.js';

/** A started target: where to send traffic, whose credentials to use, and how to stop it. */
export interface RunTarget {
  target: Target;
  credentials: Credentials;
  /** The embedded server, when fleetsim started one (faults are only possible there). */
  server?: RemoteReferenceServer;
  close(): Promise<void>;
}

/**
 * Starts the embedded reference server in its own process (so it never shares the harness's
 * event loop), or reads the credentials for a real target. Either way the target is probed once
 * so a dead target is a clear harness error (exit 4), not a run full of `refused` samples.
 */
export async function startTarget(scenario: Scenario, peakAgents: number, log: Logger): Promise<RunTarget> {
  if (scenario.target) {
    const credentials = await loadCredentialsFile(scenario.target.credentials);
    const url = scenario.target.url.replace(/\/+$/, '');
    await probeTarget(url);
    return { target: { url, embedded: false }, credentials, close: async () => {} };
  }
  const serverOptions = scenario.server;
  if (!serverOptions) throw new FleetsimError('bug', 'a scenario without a target must have server settings');
  const agents = Math.max(serverOptions.agents, peakAgents);
  log.info(`starting the embedded reference server with ${agents} agents`);
  const server = await startReferenceServerProcess({
    agents,
    seed: String(scenario.seed),
    rateLimit: serverOptions.rateLimit,
    reportIntervalMs: serverOptions.reportInterval,
    heartbeatMs: serverOptions.heartbeat,
    inactiveMs: serverOptions.inactiveTimeout,
    capacity: serverOptions.capacity && {
      serviceTimeMs: serverOptions.capacity.serviceTime,
      workers: serverOptions.capacity.workers,
      endpoints: serverOptions.capacity.endpoints,
    },
  });
  try {
    await probeTarget(server.url);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    target: { url: server.url, embedded: true },
    credentials: server.credentials,
    server,
    close: () => server.close(),
  };
}

/**
 * One unauthenticated request to an agent route: any HTTP answer (coderd says 401) proves the
 * target is there; a network failure is a harness error with the cause.
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
    throw new FleetsimError('harness', `target ${url} is unreachable (${cause})`, {
      hint: 'check --target, that the server is running, and that this machine can reach it',
      cause: error,
    });
  }
}
