import { AgentApiClient, type AppHealth } from '../../../client/agent-client.js';
import type { RequestContext } from '../../../client/http.js';
import { StopSource } from '../../../client/stop-signal.js';
import type { AgentRpcClient } from '../../../client/v2/agent-rpc-client.js';
import { reconnectBackoff, type Backoff } from '../../../core/backoff.js';
import type { Rng } from '../../../core/rng.js';
import { METRIC } from '../../../metrics/names.js';
import type { CredentialAgent } from '../../../protocol/credentials.js';
import { WorkspaceApp_Health, type Manifest } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { agentTailnetAddresses } from '../../../protocol/v2/node-convert.js';
import { TaggedNodeProto } from '../../../protocol/v2/tagged-node-proto.js';
import { uuidFromBytes } from '../../../protocol/v2/messages.js';
import { AppHealthModel } from '../app-health.js';
import { authenticate, chooseAuthMode } from '../auth.js';
import type { FleetAgent, FleetEnv } from '../fake-agent.js';
import type { LifecycleOutcome } from '../section.js';
import type { SessionEnd } from '../coordinate.js';
import { StatsCounters } from '../stats-loop.js';
import { pickWeighted, SeededStream } from '../timing.js';
import { sourceAddressAt } from '../../../core/source-addresses.js';
import { GitAskpass } from '../git-askpass.js';
import { SessionMix } from './session-mix.js';
import { V2Session, type V2SessionEnv, type V2SessionHost } from './agent-session.js';
import { LifecycleQueue } from './lifecycle-queue.js';
import { LogQueue, type LogHost } from './log-queue.js';
import { V2ReportState } from './report.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import { StartScripts } from './start-scripts.js';
import type { V2LifecycleState } from './session-port.js';

/** After `off` is queued, the Go agent waits at most 5 s for the last reports (docs/protocol-v2.md §3.3, "On shutdown"). */
export const SHUTDOWN_DEADLINE_MS = 5000;

const TASK_STEP = 0;
const TASK_DEADLINE = 1;

const HEALTH_OF: Partial<Record<WorkspaceApp_Health, AppHealth>> = {
  [WorkspaceApp_Health.INITIALIZING]: 'initializing',
  [WorkspaceApp_Health.HEALTHY]: 'healthy',
  [WorkspaceApp_Health.UNHEALTHY]: 'unhealthy',
};

/**
 * A fake agent speaking the v2 API (docs/protocol-v2.md, "What fleetsim's v2 fake agent
 * does"). Per run-loop pass: authenticate (identity modes exchange over REST, docs/protocol-v2.md §7), then one
 * {@link V2Session} on `/me/rpc`; when it ends, redial with the fleet's backoff
 * (`agents.reconnect`: 100 ms → 10 s, no jitter, by default; reset after a session the server
 * ended). What outlives sessions lives here: the lifecycle and log queues,
 * the start scripts' progress, the app-health model and the tag sequence. Everything random is
 * drawn from the agent's seeded stream in a fixed order, so the same seed replays the same
 * agent; long-lived state is in fields and scheduler tasks, not closures (see timing.ts).
 */
export class FakeAgentV2 implements FleetAgent, V2SessionHost, LogHost, TaskOwner {
  readonly report: V2ReportState;
  readonly agentId: string;
  readonly nodeProto: TaggedNodeProto;
  readonly jitter: SeededStream;
  readonly counters: StatsCounters;
  private readonly values: SeededStream;
  readonly sessions: SessionMix;
  private readonly flaps: SeededStream;
  private readonly outcome: LifecycleOutcome;
  private readonly controller = new StopSource();
  private readonly rest: AgentApiClient;
  private readonly lifecycle: LifecycleQueue;
  private readonly logs: LogQueue;
  private readonly scripts: StartScripts;
  private readonly backoff: Backoff;
  private readonly localAddress: string | undefined;
  /** This agent's REST context (its own connection with `agents.http: per-agent`). */
  private readonly http: RequestContext;
  private readonly stepTask = new OwnedTask(this, TASK_STEP);
  private readonly deadlineTask = new OwnedTask(this, TASK_DEADLINE);
  private health: AppHealthModel | undefined;
  private session: V2Session | undefined;
  private seq = 1;
  private holdsGate = false;
  private startupDone = false;
  private authenticated = false;
  private started = false;
  private stopping = false;
  private steps = 0;
  private onDrained: (() => void) | undefined;
  private onDeadline: (() => void) | undefined;
  private done: Promise<void> | undefined;
  /** Settles `done` (a rejected promise when the run's cleanup threw). */
  private resolveDone: ((result: Promise<void> | undefined) => void) | undefined;

  constructor(
    readonly index: number,
    private readonly credential: CredentialAgent,
    private readonly env: FleetEnv & V2SessionEnv,
    rng: Rng,
  ) {
    this.agentId = credential.id;
    // The same draw order as the v1 agent where the two share a meaning (auth, lifecycle,
    // stats rates, flapping, jitter, node), then the v2-only value stream.
    const mode = chooseAuthMode(rng, env.options.auth);
    this.outcome = pickWeighted(rng, env.options.lifecycle.outcomes);
    rng.chance(env.options.gitauth); // v1's git share: drawn to keep the streams aligned
    this.counters = new StatsCounters(rng);
    this.flaps = new SeededStream(rng);
    this.jitter = new SeededStream(rng);
    const node = env.deps.createAgentNode(rng);
    // The v2 coordinator accepts only the agent's own derived /128s (docs/protocol-v2.md §6.3).
    const { tailscale, coder } = agentTailnetAddresses(credential.id);
    this.nodeProto = new TaggedNodeProto({ ...node, addresses: [tailscale, coder], allowed_ips: [tailscale, coder] });
    this.values = new SeededStream(rng);
    this.sessions = new SessionMix(new SeededStream(rng), env.options.apiVersion);
    // Last draw, and only with full jitter (as in the v1 agent): the reconnect jitter's seed.
    this.backoff = reconnectBackoff(env.options.reconnect, () => new SeededStream(rng));
    this.localAddress = sourceAddressAt(env.options.localAddresses, index);
    // REST only for the identity exchanges: with token auth a per-agent connection is never opened.
    this.http = env.connections.forAgent(this.localAddress);
    this.rest = new AgentApiClient(this.http, env.options.requestTimeout);
    this.report = new V2ReportState(index, credential.id, mode);
    this.lifecycle = new LifecycleQueue(this.report, env.metrics, this);
    this.logs = new LogQueue(env.metrics, this);
    this.scripts = new StartScripts(this.logs, this.values, env.options.apiVersion);
    this.report.gitAskpass = GitAskpass.pick(env, 'v2', this.rest, this.jitter, this.controller.signal, this.localAddress);
  }

  start(dueAt?: number): Promise<void> {
    if (this.done === undefined) {
      this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
      void this.pass(dueAt ?? this.env.clock.now());
    }
    return this.done;
  }

  /**
   * Stops the agent. With a live session it shuts down like the Go agent: `shutting_down`,
   * `disconnect{}`, the periodic routines stop, `off`, then up to 5 s for those to be delivered;
   * otherwise it closes at once.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.env.scheduler.cancel(this.stepTask);
      const session = this.session;
      if (session?.live && this.lifecycle.current !== undefined) {
        this.enter('shutting_down');
        this.enter('off');
        const drained = new Promise<void>((resolve) => (this.onDrained = resolve));
        const deadline = new Promise<void>((resolve) => (this.onDeadline = resolve));
        this.env.scheduler.schedule(this.deadlineTask, SHUTDOWN_DEADLINE_MS);
        void session.shutdown(drained, deadline).then(() => this.halt());
      } else {
        this.halt();
        session?.close();
      }
    }
    return this.done ?? Promise.resolve();
  }

  onTask(kind: number): void {
    if (kind === TASK_DEADLINE) {
      const resolve = this.onDeadline;
      this.onDeadline = undefined;
      return resolve?.();
    }
    if (this.stopping) return;
    this.steps++;
    const { options, clock } = this.env;
    if (this.steps === 1) {
      this.scripts.finish(clock.wallNow(), this.outcome);
      this.pumpAll();
      this.enter(this.outcome);
      if (this.outcome === 'start_timeout') this.env.scheduler.schedule(this.stepTask, options.lifecycle.startupDuration);
    } else {
      this.enter('ready');
    }
  }

  // ---- V2SessionHost ----

  nextSeq(): number {
    return this.seq++;
  }

  sessionOpened(client: AgentRpcClient): void {
    const { report, env } = this;
    if (report.coordinateConnects > 0) env.metrics.count(METRIC.agentsReconnects, 1);
    report.coordinateConnects++;
    report.sessions++;
    report.connected = true;
    report.client = client;
    env.metrics.gauge(METRIC.agentsConnected, ++env.connected.count);
  }

  sessionClosed(): void {
    this.report.connected = false;
    this.env.metrics.gauge(METRIC.agentsConnected, --this.env.connected.count);
  }

  manifestAccepted(): void {
    this.report.manifests++;
  }

  startupAccepted(): void {
    this.report.startups++;
  }

  established(manifest: Manifest): { model: AppHealthModel; view: AppHealth[] } | undefined {
    const { env } = this;
    // The session is up: the next agents may start their way up.
    this.releaseGate();
    if (!this.started) {
      // First manifest only (docs/protocol-v2.md §3.3 item 7): `starting`, the start scripts.
      this.started = true;
      this.scripts.begin(manifest.scripts, env.clock.wallNow());
      this.enter('starting');
      env.scheduler.schedule(this.stepTask, env.options.lifecycle.startupDuration);
    }
    this.pumpAll();
    const tracked = manifest.apps.filter((app) => app.healthcheck !== undefined && app.healthcheck.url !== '');
    this.health ??= new AppHealthModel(
      tracked.map((app) => uuidFromBytes(app.id)),
      env.options.apps,
      this.flaps,
      env.clock.now(),
    );
    if (this.health.appIds.length === 0) return undefined;
    const server = new Map<string, AppHealth>();
    for (const app of tracked) {
      const health = HEALTH_OF[app.health];
      if (health) server.set(uuidFromBytes(app.id), health);
    }
    return { model: this.health, view: this.health.appIds.map((id) => server.get(id) ?? 'initializing') };
  }

  statsIntervalLearned(): void {
    this.report.statsIntervalCalls++;
  }

  statsAccepted(): void {
    this.report.statsAccepted++;
  }

  healthAccepted(states: readonly AppHealth[]): void {
    const report = this.report;
    report.appHealthAccepted++;
    report.appHealthUpdates += states.length;
    report.healthIds = this.health?.appIds ?? [];
    report.healthStates = states;
  }

  metadataAccepted(keys: number): void {
    this.report.metadataKeys += keys;
  }

  nextValue(): number {
    return this.values.next();
  }

  bannersFetched(): void {
    this.report.banners++;
  }

  derpMapReceived(): void {
    this.report.derpMaps++;
  }

  coordinateOpened(): void {
    this.report.coordinateStreams++;
  }

  derpOpened(): void {
    this.report.derpStreams++;
  }

  nodeSent(): void {
    this.report.nodeUpdatesSent++;
  }

  peerUpdatesReceived(updates: number, handshakes: number): void {
    this.report.peerUpdatesReceived += updates;
    this.report.readyForHandshakes += handshakes;
  }

  // ---- LogHost ----

  logsAccepted(lines: number, bytes: number): void {
    this.report.logLines += lines;
    this.report.logBytes += bytes;
  }

  logLimitExceeded(): void {
    this.report.logLimitExceeded = true;
  }

  // ---- internals ----

  // The run loop: per pass, the start gate, authentication, then one session; when it ends,
  // redial after the backoff. It is split at the session (`pass` → `sessionEnded` →
  // `backOff` → `pass`) so that no async frame stays suspended for a session's life: an agent
  // is in a session for most of the run, and a suspended frame with its await chain costs
  // ~0.5 KB per agent.

  /** Up to the session: the gate, authentication (identity modes exchange every pass), the dial. */
  private async pass(dueAt: number): Promise<void> {
    const signal = this.controller.signal;
    try {
      if (signal.aborted || this.stopping || !(await this.env.gate.acquire(signal))) return this.exit();
      this.holdsGate = true;
      let session: V2Session | undefined;
      try {
        const token = await this.authenticate(dueAt);
        if (token !== undefined && !this.stopping) session = this.session = new V2Session(this, this.env, token, this.localAddress);
      } finally {
        if (session === undefined) this.passEnded();
      }
      if (session === undefined) return this.backOff(false);
      session.run(this.report.authMode === 'token' ? dueAt : undefined);
    } catch (error) {
      this.crashed(error);
    }
  }

  /** The session of this pass ended (V2SessionHost). */
  sessionEnded(end: SessionEnd): void {
    this.passEnded();
    void this.backOff(end === 'closed');
  }

  private passEnded(): void {
    this.session = undefined;
    this.releaseGate();
  }

  /** Waits out the backoff after a pass (`reached`: its session was up until the server ended it). */
  private async backOff(reached: boolean): Promise<void> {
    const signal = this.controller.signal;
    const { backoff, report } = this;
    try {
      if (signal.aborted || this.stopping) return this.exit();
      if (reached) backoff.reset();
      report.backingOff = true;
      const delay = backoff.next();
      const dueAt = this.env.clock.now() + delay;
      await this.env.clock.sleep(delay, signal);
      report.backingOff = false;
      return this.pass(dueAt);
    } catch (error) {
      this.crashed(error);
    }
  }

  private crashed(error: unknown): void {
    this.env.log.error(`agent ${this.index}: ${(error as Error).message}`);
    void this.exit();
  }

  /** The run is over: cleans up and settles `done`. */
  private async exit(): Promise<void> {
    const resolve = this.resolveDone;
    if (resolve === undefined) return;
    this.resolveDone = undefined;
    try {
      this.env.scheduler.cancel(this.stepTask);
      this.env.scheduler.cancel(this.deadlineTask);
      await this.report.gitAskpass?.stop();
      await this.env.connections.release(this.http);
      resolve(undefined);
    } catch (error) {
      resolve(Promise.reject(error));
    }
  }

  /** The session token for this pass (identity modes exchange again every pass), or undefined. */
  private async authenticate(dueAt: number): Promise<string | undefined> {
    const { env } = this;
    const signal = this.controller.signal;
    const failed = await authenticate(this.report.authMode, this.credential, env.identity, this.rest, env.deps, env.clock, signal, dueAt);
    if (failed || signal.aborted) return undefined;
    if (!this.authenticated) {
      this.authenticated = true;
      env.metrics.count(METRIC.agentsAuthenticated, 1);
      this.report.gitAskpass?.start();
    }
    return this.rest.token;
  }

  private halt(): void {
    this.env.scheduler.cancel(this.deadlineTask);
    this.controller.abort();
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

  /** The agent entered `state`: queue it and report it if a session is live. */
  private enter(state: V2LifecycleState): void {
    this.lifecycle.push(state, this.env.clock.wallNow());
    const session = this.session;
    if (session?.live) this.lifecycle.pump(session);
  }

  private pumpAll(): void {
    const session = this.session;
    if (!session?.live) return;
    this.lifecycle.pump(session);
    this.logs.pump(session);
    this.scripts.pump(session, this.report);
  }

  /** The lifecycle queue reported everything queued so far. */
  lifecycleDrained(): void {
    const resolve = this.onDrained;
    if (resolve && this.lifecycle.current === 'off') {
      this.onDrained = undefined;
      resolve();
    }
  }
}
