import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { Rng } from '../../core/rng.js';
import { AgentApiClient, type AgentMetadata, type AppHealth, type LifecycleState } from '../../client/agent-client.js';
import type { RequestContext } from '../../client/http.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { CredentialAgent, IdentityMaterial } from '../../protocol/credentials.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import { AppHealthModel, runAppHealthLoop } from './app-health.js';
import { authenticate, chooseAuthMode } from './auth.js';
import { runCoordinateSession } from './coordinate.js';
import type { AgentDeps } from './deps.js';
import { LifecycleReporter } from './lifecycle.js';
import type { AuthMode, LifecycleOutcome, ResolvedFleetOptions } from './options.js';
import { runStatsLoop, StatsCounters } from './stats-loop.js';
import { pickWeighted, RetryBackoff, type Gate, type Sleep } from './timing.js';

/** What every agent of one fleet shares. */
export interface FleetEnv {
  options: ResolvedFleetOptions;
  http: RequestContext;
  clock: Clock;
  metrics: MetricSink;
  log: Logger;
  deps: AgentDeps;
  sleep: Sleep;
  gate: Gate;
  identity?: IdentityMaterial;
  observer?: CoordinateObserver;
  /** Open coordinate sockets across the fleet (for the agents_connected gauge). */
  connected: { count: number };
  coordinateUrl: string;
}

/** Per-agent accounting of what the target accepted (tests compare it with the server's view). */
export interface AgentReport {
  index: number;
  id: string;
  authMode: AuthMode;
  lifecycle: LifecycleState[];
  statsAccepted: number;
  appHealthAccepted: number;
  coordinateConnects: number;
  connected: boolean;
  /** The last Healths body the target accepted. */
  lastHealths?: Record<string, AppHealth>;
}

/**
 * One fake agent following spec §9: auth → version → metadata → (first pass) lifecycle, git
 * lookups, app health, stats → coordinate; when the socket drops, the run loop starts again
 * (identity modes exchange again) with backoff 100 ms → 10 s. Everything random is drawn from
 * the agent's own seeded stream, so the same seed replays the same agent.
 */
export class FakeAgent {
  readonly report: AgentReport;
  private readonly controller = new AbortController();
  private readonly client: AgentApiClient;
  private readonly node: TailnetNode;
  private readonly outcome: LifecycleOutcome;
  private readonly usesGit: boolean;
  private readonly rngs: { stats: Rng; health: Rng; jitter: Rng };
  private readonly seq = { next: 1 };
  private done: Promise<void> | undefined;
  private readonly lifecycle: LifecycleReporter;
  private readonly background = new Set<Promise<unknown>>();
  private authenticated = false;
  private health: AppHealthModel | undefined;

  constructor(
    readonly index: number,
    private readonly credential: CredentialAgent,
    private readonly env: FleetEnv,
    rng: Rng,
  ) {
    const mode = chooseAuthMode(rng.fork('auth'), env.options.auth);
    this.outcome = pickWeighted(rng.fork('lifecycle'), env.options.lifecycle.outcomes);
    this.usesGit = rng.fork('git').chance(env.options.gitauth);
    this.node = env.deps.createAgentNode(rng.fork('node'));
    this.rngs = { stats: rng.fork('stats'), health: rng.fork('health'), jitter: rng.fork('jitter') };
    this.client = new AgentApiClient(env.http, env.options.requestTimeout);
    this.lifecycle = new LifecycleReporter(this.client, env.metrics, env.sleep, this.controller.signal);
    this.report = {
      index,
      id: credential.id,
      authMode: mode,
      lifecycle: this.lifecycle.accepted,
      statsAccepted: 0,
      appHealthAccepted: 0,
      coordinateConnects: 0,
      connected: false,
    };
  }

  /** Starts the run loop (idempotent); the promise resolves once everything is closed. */
  start(): Promise<void> {
    this.done ??= this.run().catch((error: unknown) => {
      this.env.log.error(`agent ${this.index}: ${(error as Error).message}`);
    });
    return this.done;
  }

  /** Stops the agent: closes its socket with 1000, cancels requests and timers. */
  stop(): Promise<void> {
    this.controller.abort();
    return this.done ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const backoff = new RetryBackoff(100, 10_000);
    while (!signal.aborted) {
      const pass = new AbortController();
      const endPass = (): void => pass.abort();
      signal.addEventListener('abort', endPass, { once: true });
      let reached = false;
      try {
        reached = await this.pass(pass.signal);
      } finally {
        signal.removeEventListener('abort', endPass);
        pass.abort();
      }
      if (signal.aborted) break;
      // A socket that was up resets the backoff: the reconnect comes 100 ms after the drop.
      if (reached) backoff.reset();
      await this.env.sleep(backoff.next(), signal);
    }
    await Promise.allSettled([...this.background]);
  }

  /** One run-loop pass; true when the coordinate socket opened and later closed. */
  private async pass(passSignal: AbortSignal): Promise<boolean> {
    const { env } = this;
    const signal = this.controller.signal;
    const failedAuth = await authenticate(this.report.authMode, this.credential, env.identity, this.client, env.deps, env.clock, signal);
    if (failedAuth || signal.aborted) return false;
    if (!this.authenticated) {
      this.authenticated = true;
      env.metrics.count(METRIC.agentsAuthenticated, 1);
    }
    if (!(await this.client.postVersion(env.options.version, { signal })).ok) return false;
    const metadata = await this.client.getMetadata({ signal });
    if (!metadata.ok || !metadata.body) return false;

    if (!this.health) {
      // First pass only (spec §9.2.3–5): lifecycle, git lookups, stats.
      this.health = this.trackedApps(metadata.body, env.clock.now());
      this.track(this.runLifecycle(signal));
      if (this.usesGit) {
        await this.client.getGitSshKey({ signal });
        await this.client.getGitAuth(env.options.gitAuthUrl, { signal });
      }
      this.track(
        runStatsLoop({
          client: this.client,
          metrics: env.metrics,
          clock: env.clock,
          sleep: env.sleep,
          signal,
          counters: new StatsCounters(this.rngs.stats),
          onAccepted: () => this.report.statsAccepted++,
        }),
      );
    }
    if (this.health.appIds.length > 0) {
      // The real agent restarts its app-health reporter on every pass, from the server's view.
      this.track(
        runAppHealthLoop({
          client: this.client,
          metrics: env.metrics,
          clock: env.clock,
          sleep: env.sleep,
          signal: passSignal,
          requestSignal: signal,
          model: this.health,
          lastReported: serverHealth(metadata.body),
          onAccepted: (healths) => {
            this.report.appHealthAccepted++;
            this.report.lastHealths = healths;
          },
        }),
      );
    }
    const localAddresses = env.options.localAddresses;
    const end = await runCoordinateSession({
      agentId: this.credential.id,
      url: env.coordinateUrl,
      token: this.client.token ?? '',
      localAddress: localAddresses.length > 0 ? localAddresses[this.index % localAddresses.length] : undefined,
      deps: env.deps,
      clock: env.clock,
      metrics: env.metrics,
      observer: env.observer,
      gate: env.gate,
      signal,
      handshakeTimeoutMs: env.options.requestTimeout,
      pingIntervalMs: env.options.pingInterval,
      pingTimeoutMs: env.options.pingTimeout,
      nodeUpdateInterval: env.options.nodeUpdateInterval,
      nodeUpdateJitter: env.options.nodeUpdateJitter,
      rng: this.rngs.jitter,
      node: this.node,
      seq: this.seq,
      onOpen: () => {
        if (this.report.coordinateConnects > 0) env.metrics.count(METRIC.agentsReconnects, 1);
        this.report.coordinateConnects++;
        this.report.connected = true;
        env.metrics.gauge(METRIC.agentsConnected, ++env.connected.count);
      },
      onClosed: () => {
        this.report.connected = false;
        env.metrics.gauge(METRIC.agentsConnected, --env.connected.count);
      },
    });
    return end === 'closed';
  }

  private track(work: Promise<unknown>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** `starting`, then after startupDuration the seeded outcome; a timeout is followed by `ready`. */
  private async runLifecycle(signal: AbortSignal): Promise<void> {
    const { sleep, options } = this.env;
    const reporter = this.lifecycle;
    reporter.set('starting');
    if (!(await sleep(options.lifecycle.startupDuration, signal))) return;
    reporter.set(this.outcome);
    if (this.outcome === 'start_timeout') {
      if (!(await sleep(options.lifecycle.startupDuration, signal))) return;
      reporter.set('ready');
    }
    await reporter.idle();
  }

  /** Apps with a health check in the metadata (falling back to the credentials' flags). */
  private trackedApps(metadata: AgentMetadata, originMs: number): AppHealthModel {
    const apps = Array.isArray(metadata.apps) ? metadata.apps : [];
    // A coderd app always carries `healthcheck` ({url:""} when off); without the key at all,
    // fall back to the credentials' flags.
    const ids = apps.some((app) => app.healthcheck !== undefined)
      ? apps.filter((app) => typeof app.healthcheck?.url === 'string' && app.healthcheck.url !== '').map((app) => app.id)
      : this.credential.apps.filter((app) => app.healthcheck).map((app) => app.id);
    return new AppHealthModel(ids, this.env.options.apps, this.rngs.health, originMs);
  }
}

function serverHealth(metadata: AgentMetadata): Record<string, AppHealth> {
  const out: Record<string, AppHealth> = {};
  for (const app of metadata.apps ?? []) {
    if (app.health === 'initializing' || app.health === 'healthy' || app.health === 'unhealthy') out[app.id] = app.health;
  }
  return out;
}
