import { reconnectBackoff, type Backoff } from '../../core/backoff.js';
import type { Clock, TimerClock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { Rng } from '../../core/rng.js';
import { AgentApiClient, type AgentMetadata, type AppHealth, type LifecycleState } from '../../client/agent-client.js';
import type { RequestContext } from '../../client/http.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { CredentialAgent, IdentityMaterial } from '../../protocol/credentials.js';
import type { CoordinateObserver } from '../coordinate-observer.js';
import { AppHealthModel, healthRecord, runAppHealthLoop } from './app-health.js';
import { authenticate, chooseAuthMode } from './auth.js';
import { CoordinateSession, type SessionHost } from './coordinate.js';
import type { AgentDeps } from './deps.js';
import { LifecycleReporter } from './lifecycle.js';
import { AgentNodeTemplate } from './node-template.js';
import type { AuthMode, LifecycleOutcome } from './section.js';
import type { FleetConnections } from './http-model.js';
import type { FleetSettings } from './settings.js';
import { StatsCounters, StatsReporter, type StatsHost } from './stats-loop.js';
import { pickWeighted, SeededStream, type Gate } from './timing.js';
import type { Scheduler } from './timer-heap.js';
import { StopSource, type StopSignal } from '../../client/stop-signal.js';
import type { AgentV2Report } from './v2/report.js';
import { sourceAddressAt } from '../../core/source-addresses.js';
import { GitAskpass } from './git-askpass.js';

/** What every agent of one fleet shares. */
export interface FleetEnv {
  options: FleetSettings;
  /** The fleet-wide REST context (the shared pool). */
  http: RequestContext;
  /** Each agent's REST context under `agents.http` (shared pool or its own connection). */
  connections: FleetConnections;
  clock: Clock;
  metrics: MetricSink;
  log: Logger;
  deps: AgentDeps;
  gate: Gate;
  /** One timer for every agent's periodic work (stats reports, node updates). */
  scheduler: Scheduler;
  identity?: IdentityMaterial;
  observer?: CoordinateObserver;
  /** Open coordinate sockets across the fleet (for the agents_connected gauge). */
  connected: { count: number };
  coordinateUrl: string;
  /** Base URL of the target (v2 agents dial `/me/rpc` under it). */
  baseUrl: string;
  /** v2: the clock of the yamux sessions' and dRPC calls' timers, on {@link FleetEnv.scheduler}. */
  timers: TimerClock;
}

/** Per-agent accounting of what the target accepted (tests compare it with the server's view). */
export interface AgentReport {
  index: number;
  id: string;
  authMode: AuthMode;
  /** States the target accepted, in order (v2 agents also report `shutting_down` and `off`). */
  lifecycle: readonly (LifecycleState | 'shutting_down' | 'off')[];
  statsAccepted: number;
  appHealthAccepted: number;
  coordinateConnects: number;
  connected: boolean;
  /** True while the agent waits out its reconnect backoff (between two passes of its run loop).
   * Optional so agent kinds that do not track it still satisfy the interface. */
  backingOff?: boolean;
  /** The last Healths body the target accepted. */
  readonly lastHealths?: Record<string, AppHealth>;
  /** Agents picked by `agents.gitAskpass`: their git credential helper (operations, polls by outcome). */
  readonly gitAskpass?: GitAskpass;
  /** v2 agents only: what they did over `/me/rpc` (src/workloads/agents/v2/report.ts). */
  readonly v2?: AgentV2Report;
}

/** One fake agent of a fleet, whichever protocol it speaks. */
export interface FleetAgent {
  readonly report: AgentReport;
  /**
   * Starts the agent (idempotent); resolves once it has stopped and closed everything.
   * `dueAt` (clock ms): when the fleet meant it to start; the first exchange of its first pass
   * counts its latency from there, so a late start timer or a wait for a dial slot shows as
   * time queued inside fleetsim.
   */
  start(dueAt?: number): Promise<void>;
  /** Stops the agent; resolves when everything it opened is closed. */
  stop(): Promise<void>;
}

/** An {@link AgentReport} keeping the last accepted health states compactly (see app-health.ts). */
class AgentReportState implements AgentReport {
  statsAccepted = 0;
  appHealthAccepted = 0;
  coordinateConnects = 0;
  connected = false;
  backingOff = false;
  healthIds: readonly string[] = [];
  healthStates: readonly AppHealth[] | undefined = undefined;
  gitAskpass: GitAskpass | undefined = undefined;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly authMode: AuthMode,
    readonly lifecycle: LifecycleState[],
  ) {}

  get lastHealths(): Record<string, AppHealth> | undefined {
    return this.healthStates && healthRecord(this.healthIds, this.healthStates);
  }
}

/**
 * One fake agent following protocol §9: auth → version → metadata → (first pass) lifecycle, git
 * lookups, stats → app health → coordinate; when the socket drops, the run loop starts again
 * (identity modes exchange again) with the fleet's reconnect backoff (`agents.reconnect`; the Go
 * agent's 100 ms → 10 s, no jitter, by default). Everything random is drawn from
 * the agent's own seeded stream, so the same seed replays the same agent.
 *
 * Memory matters here (20,000 agents per process): long-lived state lives in fields and class
 * instances, not in closures (see the note on PendingSleep in core/clock.ts), and the metadata body is dropped
 * once read.
 */
export class FakeAgent implements FleetAgent, SessionHost, StatsHost {
  readonly report: AgentReportState;
  readonly agentId: string;
  readonly node: AgentNodeTemplate;
  readonly jitter: SeededStream;
  private readonly controller = new StopSource();
  private readonly client: AgentApiClient;
  /** This agent's REST context (its own connection with `agents.http: per-agent`). */
  private readonly http: RequestContext;
  private readonly backoff: Backoff;
  private readonly localAddress: string | undefined;
  private readonly outcome: LifecycleOutcome;
  private readonly usesGit: boolean;
  private readonly lifecycle: LifecycleReporter;
  private readonly counters: StatsCounters;
  private readonly flaps: SeededStream;
  private stats: StatsReporter | undefined;
  /** Work still running past the pass that started it (awaited when the agent stops). */
  private lifecycleRun: Promise<void> | undefined;
  private healthRun: Promise<void> | undefined;
  /** Ends the current pass's app-health reporter. */
  private healthPass: StopSource | undefined;
  private seq = 1;
  private holdsGate = false;
  private startupDone = false;
  /** First-pass requests still unanswered (first lifecycle POST, first stats POST). */
  private startupPending = 0;
  private socketUp = false;
  private authenticated = false;
  private firstPassDone = false;
  private health: AppHealthModel | undefined;
  private done: Promise<void> | undefined;

  constructor(
    readonly index: number,
    private readonly credential: CredentialAgent,
    private readonly env: FleetEnv,
    rng: Rng,
  ) {
    this.agentId = credential.id;
    // One stream per agent, drawn in a fixed order (forking costs a SHA-256 each, and a fleet
    // starts thousands of agents per second): auth, lifecycle, git share, stats rates, the
    // seeds of the flapping and jitter streams, then the node's keys.
    const mode = chooseAuthMode(rng, env.options.auth);
    this.outcome = pickWeighted(rng, env.options.lifecycle.outcomes);
    this.usesGit = rng.chance(env.options.gitauth);
    this.counters = new StatsCounters(rng);
    this.flaps = new SeededStream(rng);
    this.jitter = new SeededStream(rng);
    this.node = new AgentNodeTemplate(env.deps.createAgentNode(rng));
    // Last draw: the reconnect jitter's seed, and only with full jitter, so the draws above do
    // not depend on the policy.
    this.backoff = reconnectBackoff(env.options.reconnect, () => new SeededStream(rng));
    this.localAddress = sourceAddressAt(env.options.localAddresses, index);
    this.http = env.connections.forAgent(this.localAddress);
    this.client = new AgentApiClient(this.http, env.options.requestTimeout);
    this.lifecycle = new LifecycleReporter(this.client, env.metrics, env.clock, this.controller.signal, this);
    this.report = new AgentReportState(index, credential.id, mode, this.lifecycle.accepted);
    this.report.gitAskpass = GitAskpass.pick(env, 'v1', this.client, this.jitter, this.controller.signal, this.localAddress);
  }

  /** Starts the run loop (idempotent); the promise resolves once everything is closed. */
  start(dueAt?: number): Promise<void> {
    this.done ??= this.run(dueAt ?? this.env.clock.now());
    return this.done;
  }

  /** Stops the agent: closes its socket with 1000, cancels requests and timers. */
  stop(): Promise<void> {
    this.controller.abort();
    this.stats?.stop();
    return this.done ?? Promise.resolve();
  }

  nextSeq(): number {
    return this.seq++;
  }

  socketOpened(): void {
    this.socketUp = true;
    if (this.startupPending === 0) this.releaseGate();
    const { report, env } = this;
    if (report.coordinateConnects > 0) env.metrics.count(METRIC.agentsReconnects, 1);
    report.coordinateConnects++;
    report.connected = true;
    env.metrics.gauge(METRIC.agentsConnected, ++env.connected.count);
  }

  socketClosed(): void {
    this.socketUp = false;
    this.report.connected = false;
    this.env.metrics.gauge(METRIC.agentsConnected, --this.env.connected.count);
  }

  /**
   * A first-pass request was answered. The gate slot is held until the socket is up AND the
   * first lifecycle and stats POSTs are answered: a burst of new agents then never queues tens
   * of thousands of requests inside the harness (memory, GC) ahead of the next agents' way up.
   */
  startupAnswered(): void {
    if (this.startupPending === 0) return;
    this.startupPending--;
    if (this.startupPending === 0 && this.socketUp) this.releaseGate();
  }

  lifecycleAnswered(): void {
    this.startupAnswered();
  }

  statsAnswered(): void {
    this.startupAnswered();
  }

  statsAccepted(): void {
    this.report.statsAccepted++;
  }

  /** App-health loop callback. */
  healthAccepted(states: readonly AppHealth[]): void {
    this.report.appHealthAccepted++;
    this.report.healthIds = this.health?.appIds ?? [];
    this.report.healthStates = states;
  }

  /**
   * The run loop. While an agent is connected this is its only suspended async frame (the
   * session, stats and node updates are callback-driven): each frame costs about 0.5 KB.
   */
  private async run(firstDueAt: number): Promise<void> {
    const signal = this.controller.signal;
    const { backoff, report } = this;
    // When the current pass was due: the fleet's planned start, then the end of each backoff.
    let dueAt = firstDueAt;
    try {
      while (!signal.aborted) {
        // The way up to an open socket holds a slot of the fleet's gate, so a step to thousands
        // of agents is admitted at the rate the target takes them instead of timing out in the
        // harness's own queues. socketOpened() or the end of the pass gives the slot back.
        if (!(await this.env.gate.acquire(signal))) break;
        this.holdsGate = true;
        let reached = false;
        try {
          if (await this.prepare(dueAt)) reached = (await this.session().run()) === 'closed';
        } finally {
          this.healthPass?.abort();
          this.healthPass = undefined;
          this.releaseGate();
        }
        if (signal.aborted) break;
        // A socket that was up resets the backoff: the reconnect comes `initial` after the drop.
        if (reached) backoff.reset();
        report.backingOff = true;
        const delay = backoff.next();
        dueAt = this.env.clock.now() + delay;
        await this.env.clock.sleep(delay, signal);
        report.backingOff = false;
      }
    } catch (error) {
      this.env.log.error(`agent ${this.index}: ${(error as Error).message}`);
    }
    this.stats?.stop();
    await this.stats?.inFlight;
    await this.report.gitAskpass?.stop();
    await this.lifecycleRun;
    await this.healthRun;
    await this.env.connections.release(this.http);
  }

  private releaseGate(): void {
    if (!this.holdsGate) return;
    this.env.gate.release();
    this.holdsGate = false;
    // The first release ends the first way up (done or failed): the run's ramp counts it.
    if (!this.startupDone) {
      this.startupDone = true;
      this.env.metrics.count(METRIC.agentsStartupDone, 1);
    }
  }

  /**
   * The first part of a run-loop pass, up to the dial; false when a request failed. The pass's
   * first request (the identity exchange, or with token auth the version POST) counts from
   * `dueAt`, when the pass was meant to begin.
   */
  private async prepare(dueAt: number): Promise<boolean> {
    const { env } = this;
    const signal = this.controller.signal;
    const mode = this.report.authMode;
    const failedAuth = await authenticate(mode, this.credential, env.identity, this.client, env.deps, env.clock, signal, dueAt);
    if (failedAuth || signal.aborted) return false;
    if (!this.authenticated) {
      this.authenticated = true;
      env.metrics.count(METRIC.agentsAuthenticated, 1);
    }
    const versionDue = mode === 'token' ? dueAt : undefined;
    if (!(await this.client.postVersion(env.options.version, { signal, intendedAt: versionDue })).ok) return false;
    const serverHealth = await this.readMetadata(signal);
    if (!serverHealth) return false;

    if (!this.firstPassDone) {
      this.firstPassDone = true;
      this.startupPending = 2;
      // First pass only (protocol §9.2.3 and §9.2.5): lifecycle, git lookups, stats.
      this.lifecycleRun = this.runLifecycle(signal);
      if (this.usesGit) {
        await this.client.getGitSshKey({ signal });
        await this.client.getGitAuth(env.options.gitAuthUrl, { signal });
      }
      this.stats = new StatsReporter(this.client, env.metrics, env.clock, env.scheduler, signal, this.counters, this);
      this.stats.start();
      this.report.gitAskpass?.start();
    }
    // The real agent restarts its app-health reporter on every pass, from the server's view;
    // it stops when the pass ends.
    if (this.health && this.health.appIds.length > 0) {
      this.healthPass = new StopSource();
      const previous = this.healthRun;
      const loop = this.startAppHealth(this.health, serverHealth, this.healthPass.signal);
      this.healthRun = previous ? Promise.all([previous, loop]).then(ignore) : loop;
    }
    return true;
  }

  private session(): CoordinateSession {
    return new CoordinateSession(this, this.env, this.client.token ?? '', this.localAddress, this.controller.signal);
  }

  private startAppHealth(model: AppHealthModel, lastReported: Record<string, AppHealth>, passSignal: StopSignal): Promise<void> {
    const { env } = this;
    const agent = this;
    return runAppHealthLoop({
      client: this.client,
      metrics: env.metrics,
      clock: env.clock,
      signal: passSignal,
      requestSignal: this.controller.signal,
      model,
      lastReported,
      onAccepted(states) {
        agent.healthAccepted(states);
      },
    });
  }

  /**
   * GET /me/metadata; returns the server's health of each app (undefined when it failed). On the
   * first success it also decides which apps are health-checked. The body (with its DERP map)
   * is not kept.
   */
  private async readMetadata(signal: StopSignal): Promise<Record<string, AppHealth> | undefined> {
    const metadata = await this.client.getMetadata({ signal });
    if (!metadata.ok || !metadata.body) return undefined;
    this.health ??= this.trackedApps(metadata.body, this.env.clock.now());
    return serverHealth(metadata.body);
  }

  /** `starting`, then after startupDuration the seeded outcome; a timeout is followed by `ready`. */
  private async runLifecycle(signal: StopSignal): Promise<void> {
    const { clock, options } = this.env;
    const reporter = this.lifecycle;
    reporter.set('starting');
    if (!(await clock.sleep(options.lifecycle.startupDuration, signal))) return;
    reporter.set(this.outcome);
    if (this.outcome === 'start_timeout') {
      if (!(await clock.sleep(options.lifecycle.startupDuration, signal))) return;
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
    return new AppHealthModel(ids, this.env.options.apps, this.flaps, originMs);
  }
}

function ignore(): void {}

function serverHealth(metadata: AgentMetadata): Record<string, AppHealth> {
  const out: Record<string, AppHealth> = {};
  for (const app of metadata.apps ?? []) {
    if (app.health === 'initializing' || app.health === 'healthy' || app.health === 'unhealthy') out[app.id] = app.health;
  }
  return out;
}
