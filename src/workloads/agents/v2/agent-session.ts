import { AgentRpcClient } from '../../../client/v2/agent-rpc-client.js';
import { rpcErrorClass, wsDialErrorClass } from '../../../metrics/error-class.js';
import { ENDPOINT, METRIC } from '../../../metrics/names.js';
import { recordDialTiming } from '../../../metrics/request-timing.js';
import type { Manifest } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { manifestProblems } from '../../../protocol/v2/manifest-check.js';
import { AGENT_RPC } from '../../../protocol/v2/messages.js';
import { connectRpcClient, type RpcClientConnection } from '../../../protocol/v2/rpc-connection.js';
import type { TimerClock } from '../../../core/clock.js';
import type { ByteTransport } from '../../../protocol/v2/ws-byte-stream.js';
import { YamuxClosedError } from '../../../protocol/v2/wire-errors.js';
import type { SessionEnd } from '../coordinate.js';
import type { AgentDeps } from '../deps.js';
import type { AppHealthModel } from '../app-health.js';
import type { AppHealth } from '../../../client/agent-client.js';
import { AppHealthRoutine, type AppHealthHost, type AppHealthRoutineEnv } from './app-health-routine.js';
import { CoordinateRoutine, DerpMapRoutine, type CoordinateHost, type CoordinateRoutineEnv } from './coordinate-routine.js';
import { MetadataRoutine, type MetadataHost } from './metadata-routine.js';
import { OwnedTask, type TaskOwner } from './scheduled.js';
import type { SessionPort } from './session-port.js';
import { StatsRoutine, type StatsRoutineHost } from './stats-routine.js';
import type { StatsCounters } from '../stats-loop.js';

/** One tags object for every dial sample (the recorder caches its series key per object). */
const RPC_DIAL_TAGS = Object.freeze({ endpoint: ENDPOINT.agentRpc });
/** The Go agent refreshes banners every 2 minutes (docs/protocol-v2.md §3.3 item 1). */
export const BANNER_REFRESH_MS = 120_000;

/** What a session needs from the fleet. */
export interface V2SessionEnv extends CoordinateRoutineEnv, AppHealthRoutineEnv {
  deps: AgentDeps;
  /** The yamux sessions' timers (the fleet's scheduler). */
  timers: TimerClock;
  /** Base URL of the target (http…). */
  baseUrl: string;
  options: CoordinateRoutineEnv['options'] & { requestTimeout: number; apiVersion: string; version: string };
}

/** What the session asks of its agent. */
export interface V2SessionHost extends CoordinateHost, StatsRoutineHost, MetadataHost, AppHealthHost {
  readonly counters: StatsCounters;
  /** The WebSocket is up (the RPC client exists from now on). */
  sessionOpened(client: AgentRpcClient): void;
  /** The WebSocket of an opened session is gone. */
  sessionClosed(): void;
  /** The session is over (dial failed, or closed for `end`'s reason); called once. */
  sessionEnded(end: SessionEnd): void;
  manifestAccepted(): void;
  startupAccepted(): void;
  /** GetManifest and UpdateStartup succeeded: the agent starts its routines' shared state. */
  established(manifest: Manifest): { model: AppHealthModel; view: AppHealth[] } | undefined;
  bannersFetched(): void;
  derpMapReceived(): void;
  coordinateOpened(): void;
  derpOpened(): void;
}

const TASK_BANNERS = 0;
const HOME = '/home/coder';

/**
 * One `/me/rpc` session of a v2 agent (docs/protocol-v2.md, "What fleetsim's v2 fake agent
 * does"): dial, banners, GetManifest (checked like the Go agent, docs/protocol-v2.md §5.1), UpdateStartup, then the
 * routines side by side: lifecycle and logs (the agent's queues), metadata, app health,
 * Coordinate, StreamDERPMaps, stats. Any required RPC failing ends the session ('failed'); the
 * server or network ending it is 'closed'; the agent stopping it is 'aborted'.
 *
 * Callback-driven (no suspended async frame for the session's life); routines run on the fleet's
 * scheduler.
 */
export class V2Session implements SessionPort, TaskOwner {
  client!: AgentRpcClient;
  private conn: RpcClientConnection | undefined;
  private state: 'dialing' | 'starting' | 'live' | 'ending' | 'ended' = 'dialing';
  private outcome: SessionEnd = 'closed';
  /** The host was told that the session ended (a callback, not a promise the agent awaits). */
  private endReported = false;
  private startedAt = 0;
  /** When the dial began (startedAt → dialAt is time queued inside fleetsim). */
  private dialAt = 0;
  private readonly bannerTask = new OwnedTask(this, TASK_BANNERS);
  private stats: StatsRoutine | undefined;
  private metadata: MetadataRoutine | undefined;
  private health: AppHealthRoutine | undefined;
  private coordinate: CoordinateRoutine | undefined;
  private derp: DerpMapRoutine | undefined;
  private onEnded: (() => void) | undefined;

  constructor(
    private readonly host: V2SessionHost,
    private readonly env: V2SessionEnv,
    private readonly token: string,
    private readonly localAddress: string | undefined,
  ) {}

  /** Established, not ending, and its yamux session not yet closed (a stream failing because
   * the whole session died is the session's end, handled once in `closed`). */
  get live(): boolean {
    return this.state === 'live' && !this.down;
  }

  private get down(): boolean {
    return this.conn?.session.closed ?? false;
  }

  /** Dials and runs the session; `host.sessionEnded` is called (a microtask after) when it ends.
   * `intendedAt`: when the dial was due (the pass's start: the dial is a v2 pass's first exchange). */
  run(intendedAt?: number): void {
    const { env } = this;
    const now = env.clock.now();
    this.dialAt = now;
    this.startedAt = intendedAt !== undefined && intendedAt < now ? intendedAt : now;
    let dialing: Promise<ByteTransport>;
    try {
      dialing = env.deps.openAgentRpc({
        baseUrl: env.baseUrl,
        apiVersion: env.options.apiVersion,
        token: this.token,
        localAddress: this.localAddress,
        handshakeTimeoutMs: env.options.requestTimeout,
      });
    } catch (error) {
      dialing = Promise.reject(error);
    }
    dialing.then(
      (transport) => this.opened(transport),
      (error: unknown) => this.dialFailed(error),
    );
  }

  /** A required RPC failed: close the session ('failed'). */
  teardown(): void {
    if ((this.state !== 'starting' && this.state !== 'live') || this.down) return;
    this.outcome = 'failed';
    this.end();
  }

  /** The agent stops: close at once ('aborted'); a dial in flight is closed when it opens. */
  close(): void {
    if (this.state === 'ending' || this.state === 'ended') return;
    this.outcome = 'aborted';
    this.end();
  }

  /**
   * Graceful stop (docs/protocol-v2.md §3.3, "On shutdown"): the periodic routines stop,
   * Coordinate sends `disconnect{}`; `until` (the agent's last lifecycle report), the
   * coordinator's hang-up and the answers of calls still in flight are awaited, bounded by the
   * caller's deadline; then the session closes. (Waiting for the answers keeps the agent's
   * accounting exact: a call the target handled is never cut off by our own close.)
   */
  async shutdown(until: Promise<void>, deadline: Promise<void>): Promise<void> {
    if (!this.live) return this.close();
    this.stopPeriodic();
    const left = new Promise<void>((resolve) => (this.onEnded = resolve));
    const hungUp = this.coordinate ? this.coordinate.disconnect() : Promise.resolve();
    const over = Promise.race([deadline, left]);
    await Promise.race([Promise.all([hungUp, until]), over]);
    await Promise.race([this.client.whenIdle(), over]);
    this.close();
  }

  onTask(kind: number): void {
    if (kind === TASK_BANNERS && this.live) void this.fetchBanners();
  }

  private opened(transport: ByteTransport): void {
    const { env, host } = this;
    this.recordDial();
    if (this.state !== 'dialing') {
      transport.close(1000);
      return this.finish();
    }
    // The end is a listener rather than `conn.closed.then(…)`: no promise chain per session.
    // Bound, not an arrow in the object literal: under tsx/esbuild `keepNames` a named arrow
    // gets a dictionary-mode property store (~250 B per session).
    const conn = connectRpcClient(transport, { timers: env.timers, onClose: this.closed.bind(this) });
    this.conn = conn;
    this.client = new AgentRpcClient(conn.client, env, env.options.requestTimeout);
    this.state = 'starting';
    host.sessionOpened(this.client);
    void this.establish();
  }

  private dialFailed(error: unknown): void {
    const { env } = this;
    if (this.state === 'dialing') {
      this.recordDial();
      env.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentRpc, class: wsDialErrorClass(error) });
      this.outcome = 'failed';
    }
    this.finish();
  }

  /** The dial's headline sample (intended start → open or failure) and its split. */
  private recordDial(): void {
    const { metrics, clock } = this.env;
    const now = clock.now();
    metrics.trend(METRIC.request, now - this.startedAt, RPC_DIAL_TAGS);
    recordDialTiming(metrics, RPC_DIAL_TAGS, this.dialAt - this.startedAt, now - this.dialAt);
  }

  /** GetManifest, UpdateStartup, then the routines. */
  private async establish(): Promise<void> {
    const { client, host, env } = this;
    void this.fetchBanners();
    const manifest = await client.call(AGENT_RPC.GetManifest, {});
    if (!manifest.ok) return this.teardown();
    const problems = manifestProblems(manifest.value);
    if (problems.length > 0) {
      // A real agent cannot use this manifest: it fails the session and redials.
      client.recordFailure(AGENT_RPC.GetManifest.path, 'bad_manifest');
      return this.teardown();
    }
    host.manifestAccepted();
    const startup = await client.call(AGENT_RPC.UpdateStartup, {
      startup: { version: env.options.version, expandedDirectory: expandDirectory(manifest.value.directory), subsystems: [] },
    });
    if (!startup.ok) return this.teardown();
    host.startupAccepted();
    if (this.state !== 'starting') return;
    this.state = 'live';
    const health = host.established(manifest.value);
    this.metadata = new MetadataRoutine(this, env, manifest.value.metadata, host);
    this.metadata.start();
    if (health) {
      this.health = new AppHealthRoutine(this, env, health.model, health.view, host);
      this.health.start();
    }
    this.coordinate = new CoordinateRoutine(this, env, host);
    host.coordinateOpened();
    this.coordinate.start();
    this.derp = new DerpMapRoutine(this, host);
    host.derpOpened();
    this.derp.start();
    this.stats = new StatsRoutine(this, env, host.counters, host);
    this.stats.start();
  }

  private async fetchBanners(): Promise<void> {
    // API 2.0 has only the legacy single banner (docs/protocol-v2.md §1.3, §5.9).
    const legacy = this.env.options.apiVersion === '2.0';
    const result = legacy ? await this.client.call(AGENT_RPC.GetServiceBanner, {}) : await this.client.call(AGENT_RPC.GetAnnouncementBanners, {});
    if (result.ok) {
      this.host.bannersFetched();
      if (this.state === 'starting' || this.state === 'live') this.env.scheduler.schedule(this.bannerTask, BANNER_REFRESH_MS);
    } else if (!result.unsupported && !result.aborted) {
      this.teardown();
    }
  }

  private stopPeriodic(): void {
    this.env.scheduler.cancel(this.bannerTask);
    this.stats?.stop();
    this.metadata?.stop();
    this.health?.stop();
    this.derp?.stop();
  }

  private end(): void {
    const wasDialing = this.state === 'dialing';
    this.state = 'ending';
    this.stopPeriodic();
    this.coordinate?.stop();
    if (wasDialing) return; // opened() or dialFailed() finishes
    this.client.closing = true;
    this.conn?.close();
  }

  /** The yamux session ended (any cause). */
  private closed(error: Error | undefined): void {
    if (this.state !== 'ending') {
      // The server or the network ended it. A clean EOF (close 1000/1001) is like v1's clean
      // close; anything else is one sample for the session.
      this.outcome = 'closed';
      if (error && !(error instanceof YamuxClosedError)) {
        this.env.metrics.count(METRIC.error, 1, { endpoint: ENDPOINT.agentRpc, class: rpcErrorClass(error) });
      }
      this.client.closing = true;
      this.state = 'ending';
      this.stopPeriodic();
      this.coordinate?.stop();
    }
    this.host.sessionClosed();
    this.finish();
  }

  private finish(): void {
    this.state = 'ended';
    const onEnded = this.onEnded;
    this.onEnded = undefined;
    onEnded?.();
    if (this.endReported) return;
    this.endReported = true;
    // A microtask later, where an `await` of a promise resolved here would resume.
    const { host, outcome } = this;
    queueMicrotask(() => host.sessionEnded(outcome));
  }
}

/** The Go agent expands `~` and `$HOME` in the manifest's directory; empty means the home. */
export function expandDirectory(directory: string): string {
  if (directory === '' || directory === '~') return HOME;
  if (directory.startsWith('~/')) return HOME + directory.slice(1);
  return directory.replace(/\$\{HOME\}|\$HOME\b/g, HOME);
}
